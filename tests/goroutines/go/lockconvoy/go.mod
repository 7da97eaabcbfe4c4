module example.com/lockconvoy

go 1.19
