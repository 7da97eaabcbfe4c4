module example.com/convoy

go 1.19
