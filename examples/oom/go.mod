module example.com/oom

go 1.19
