module example.com/chanleak

go 1.19
