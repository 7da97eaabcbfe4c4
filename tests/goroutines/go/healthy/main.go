// A healthy HTTP server: a small idle worker pool, a ticker loop and the HTTP accept loop.
package main

import (
	"fmt"
	"net"
	"net/http"
	_ "net/http/pprof"
	"runtime"
	"sync"
	"time"
)

func worker(started *sync.WaitGroup, jobs <-chan int, results chan<- int) {
	started.Done()
	for j := range jobs {
		results <- j * 2
	}
}

func housekeeping(stop <-chan struct{}) {
	ticker := time.NewTicker(50 * time.Millisecond)
	defer ticker.Stop()
	for {
		select {
		case <-ticker.C:
		case <-stop:
			return
		}
	}
}

func main() {
	jobs := make(chan int)
	results := make(chan int, 8)
	var started sync.WaitGroup
	started.Add(8)
	for i := 0; i < 8; i++ {
		go worker(&started, jobs, results)
	}
	go housekeeping(make(chan struct{}))
	started.Wait()
	time.Sleep(100 * time.Millisecond) // let every goroutine park before the port is announced
	http.HandleFunc("/hello", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "hello")
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	fmt.Printf("PORT %d\n", ln.Addr().(*net.TCPAddr).Port)
	go func() {
		for {
			runtime.GC() // wait minutes are only stamped on goroutines during a GC
			time.Sleep(200 * time.Millisecond)
		}
	}()
	panic(http.Serve(ln, nil))
}
