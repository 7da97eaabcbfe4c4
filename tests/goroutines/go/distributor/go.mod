module example.com/distributor

go 1.19
