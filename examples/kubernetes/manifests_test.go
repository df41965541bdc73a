// The manifests of this directory, decoded strictly with Kubernetes' own
// API types: a misspelt or misplaced field is an error here, as kubectl
// apply --validate=strict would make it one.
package kubernetes

import (
	"bytes"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"sigs.k8s.io/yaml"
)

type typeMeta struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
}

// decode splits a multi-document file and decodes each document strictly
// into the type its apiVersion and kind name.
func decode(t *testing.T, path string) []any {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []any
	for i, doc := range regexp.MustCompile(`(?m)^---\s*$`).Split(string(data), -1) {
		if strings.TrimSpace(stripComments(doc)) == "" {
			continue
		}
		var tm typeMeta
		if err := yaml.Unmarshal([]byte(doc), &tm); err != nil {
			t.Fatalf("%s: document %d: %v", path, i, err)
		}
		var obj any
		switch tm.APIVersion + " " + tm.Kind {
		case "batch/v1 Job":
			obj = &batchv1.Job{}
		case "v1 PersistentVolumeClaim":
			obj = &corev1.PersistentVolumeClaim{}
		case "v1 ServiceAccount":
			obj = &corev1.ServiceAccount{}
		case "rbac.authorization.k8s.io/v1 Role":
			obj = &rbacv1.Role{}
		case "rbac.authorization.k8s.io/v1 RoleBinding":
			obj = &rbacv1.RoleBinding{}
		default:
			t.Fatalf("%s: document %d: no type for %q", path, i, tm.APIVersion+" "+tm.Kind)
		}
		if err := yaml.UnmarshalStrict([]byte(doc), obj); err != nil {
			t.Fatalf("%s: document %d (%s): %v", path, i, tm.Kind, err)
		}
		out = append(out, obj)
	}
	return out
}

func stripComments(doc string) string {
	var b bytes.Buffer
	for _, line := range strings.Split(doc, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), "#") {
			b.WriteString(line + "\n")
		}
	}
	return b.String()
}

func jobs(objs []any) map[string]*batchv1.Job {
	m := map[string]*batchv1.Job{}
	for _, o := range objs {
		if j, ok := o.(*batchv1.Job); ok {
			m[j.Name] = j
		}
	}
	return m
}

func TestStrictDecodingCatchesUnknownFields(t *testing.T) {
	bad := "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: x\nspec:\n  completionsMode: Indexed\n"
	if err := yaml.UnmarshalStrict([]byte(bad), &batchv1.Job{}); err == nil {
		t.Fatal("a misspelt field (completionsMode) decoded without an error")
	}
}

func TestJobManifest(t *testing.T) {
	js := jobs(decode(t, "job.yaml"))
	if len(js) != 1 {
		t.Fatalf("job.yaml: %d Jobs, want 1", len(js))
	}
}

func TestIndexedJob(t *testing.T) {
	objs := decode(t, "indexed-job.yaml")
	js := jobs(objs)
	shards, merge := js["go-tests-shards"], js["go-tests-merge"]
	if shards == nil || merge == nil {
		t.Fatalf("want the Jobs go-tests-shards and go-tests-merge, have %v", js)
	}
	s := shards.Spec
	if s.CompletionMode == nil || *s.CompletionMode != batchv1.IndexedCompletion {
		t.Fatal("go-tests-shards: completionMode is not Indexed")
	}
	if s.Completions == nil || s.Parallelism == nil || *s.Completions != *s.Parallelism {
		t.Fatal("go-tests-shards: completions and parallelism must be set and equal")
	}
	n := int(*s.Completions)
	pod := s.Template.Spec
	if pod.RestartPolicy != corev1.RestartPolicyNever {
		t.Fatal("a podFailurePolicy needs restartPolicy: Never")
	}
	c := pod.Containers[0]
	args := strings.Join(c.Args, " ")
	if !strings.Contains(args, fmt.Sprintf("--shard auto --shard-count %d ", n)) {
		t.Fatalf("the shard's args %q do not say --shard auto --shard-count %d", args, n)
	}
	if !strings.Contains(args, "$(JOB_COMPLETION_INDEX)") {
		t.Fatalf("the shard's report path does not name its index: %q", args)
	}

	// testjail's exit codes told apart: 1-7 (the tests' outcomes) end the
	// index without a retry, 125 (testjail's own failure) is retried.
	if s.BackoffLimitPerIndex == nil || s.PodFailurePolicy == nil {
		t.Fatal("go-tests-shards: backoffLimitPerIndex and podFailurePolicy are needed for FailIndex")
	}
	action := map[int32]batchv1.PodFailurePolicyAction{}
	for _, r := range s.PodFailurePolicy.Rules {
		if r.OnExitCodes == nil {
			continue
		}
		if r.OnExitCodes.Operator != batchv1.PodFailurePolicyOnExitCodesOpIn {
			t.Fatalf("rule %v: want operator In", r)
		}
		if r.OnExitCodes.ContainerName == nil || *r.OnExitCodes.ContainerName != c.Name {
			t.Fatalf("rule %v: want containerName %q", r, c.Name)
		}
		for _, v := range r.OnExitCodes.Values {
			if _, dup := action[v]; !dup {
				action[v] = r.Action
			}
		}
	}
	for code := int32(1); code <= 7; code++ {
		if action[code] != batchv1.PodFailurePolicyActionFailIndex {
			t.Errorf("exit code %d: action %q, want FailIndex (a test outcome is not retried)", code, action[code])
		}
	}
	if action[125] != batchv1.PodFailurePolicyActionCount {
		t.Errorf("exit code 125: action %q, want Count (retried)", action[125])
	}

	// The merge step reads every shard's report from the shared volume.
	m := merge.Spec.Template.Spec.Containers[0]
	cmd := append(slices.Clone(m.Command), m.Args...)
	if !slices.Equal(cmd[:3], []string{"/testjail", "report", "merge"}) {
		t.Fatalf("the merge container runs %q", cmd)
	}
	for k := 0; k < n; k++ {
		want := fmt.Sprintf("/reports/shard-%d.json", k)
		if !slices.Contains(cmd, want) {
			t.Errorf("the merge does not read %s", want)
		}
	}
	claim := func(spec corev1.PodSpec) string {
		for _, v := range spec.Volumes {
			if v.PersistentVolumeClaim != nil {
				return v.PersistentVolumeClaim.ClaimName
			}
		}
		return ""
	}
	if claim(pod) == "" || claim(pod) != claim(merge.Spec.Template.Spec) {
		t.Error("the shards and the merge do not share a volume")
	}
	var pvc *corev1.PersistentVolumeClaim
	for _, o := range objs {
		if p, ok := o.(*corev1.PersistentVolumeClaim); ok {
			pvc = p
		}
	}
	if pvc == nil || pvc.Name != claim(pod) {
		t.Errorf("no PersistentVolumeClaim %q in the manifest", claim(pod))
	}
}
