// A resolver whose callers give up after a timeout. Each call starts a lookup goroutine that
// answers on an unbuffered channel; once its caller has returned nobody receives, and the lookup
// blocks on its send for ever: one leaked goroutine per timed-out call, all at one line.
package main

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	_ "net/http/pprof"
	"runtime"
	"sync"
	"time"
)

var errTimeout = errors.New("lookup timed out")

type Resolver struct {
	backend chan struct{} // closed when the slow backend finally answers
}

func (r *Resolver) lookup(name string, answer chan<- string) {
	<-r.backend
	answer <- name + ".svc" // the caller is gone: blocked for ever
}

func (r *Resolver) Resolve(name string, timeout time.Duration) (string, error) {
	answer := make(chan string)
	go r.lookup(name, answer)
	select {
	case a := <-answer:
		return a, nil
	case <-time.After(timeout):
		return "", errTimeout
	}
}

func main() {
	calls := flag.Int("calls", 150, "calls that time out, each leaking one lookup")
	flag.Parse()
	started := pools()
	r := &Resolver{backend: make(chan struct{})}
	for i := 0; i < *calls; i++ {
		if _, err := r.Resolve(fmt.Sprintf("name-%d", i), time.Microsecond); err == nil {
			panic("a lookup answered before its backend")
		}
	}
	close(r.backend) // every lookup now tries to answer a caller that left
	started.Wait()
	time.Sleep(200 * time.Millisecond) // let every lookup park on its send
	serve()
}

// pools starts the service's worker pools: idle workers, each pool at its own site and sized
// for its work (a healthy shape beside the leak).
func pools() *sync.WaitGroup {
	var started sync.WaitGroup
	workers := []func(<-chan int, *sync.WaitGroup){fetchWorker, parseWorker, storeWorker, notifyWorker}
	for _, work := range workers {
		jobs := make(chan int)
		for i := 0; i < 60; i++ {
			started.Add(1)
			go work(jobs, &started)
		}
	}
	return &started
}

func fetchWorker(jobs <-chan int, started *sync.WaitGroup) {
	started.Done()
	for range jobs {
	}
}

func parseWorker(jobs <-chan int, started *sync.WaitGroup) {
	started.Done()
	for range jobs {
	}
}

func storeWorker(jobs <-chan int, started *sync.WaitGroup) {
	started.Done()
	for range jobs {
	}
}

func notifyWorker(jobs <-chan int, started *sync.WaitGroup) {
	started.Done()
	for range jobs {
	}
}

// serve exposes net/http/pprof on a free loopback port, prints it, and stamps wait times.
func serve() {
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
