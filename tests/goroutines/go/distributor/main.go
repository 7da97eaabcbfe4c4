// Leaks distributor goroutines the way kube-apiserver's (*Store).DeleteCollection did before
// kubernetes PR #105606: a distributor sends item indices on a buffered channel, every worker
// fails (etcd error) and returns, and the distributor stays blocked on the channel send forever.
package main

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	_ "net/http/pprof"
	"os"
	"runtime"
	"sync"
	"time"
)

type Store struct{}

var errEtcd = errors.New("etcdserver: request timed out")

func (s *Store) deleteOne(index int) error { return errEtcd }

// DeleteCollection mirrors the shape of the upstream code: distributor plus worker pool.
func (s *Store) DeleteCollection(items []int, workers int) error {
	toProcess := make(chan int, 2*workers)
	errs := make(chan error, workers+1)
	go func() {
		defer close(toProcess)
		for i := 0; i < len(items); i++ {
			toProcess <- i // blocks forever once every worker has given up
		}
	}()
	var wg sync.WaitGroup
	wg.Add(workers)
	for w := 0; w < workers; w++ {
		go func() {
			defer wg.Done()
			for index := range toProcess {
				if err := s.deleteOne(index); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	select {
	case err := <-errs:
		return err
	default:
		return nil
	}
}

func main() {
	calls := flag.Int("calls", 120, "DeleteCollection calls, each leaking one distributor")
	items := flag.Int("items", 64, "items per collection")
	workers := flag.Int("workers", 4, "workers per call")
	flag.Parse()
	store := &Store{}
	for c := 0; c < *calls; c++ {
		if err := store.DeleteCollection(make([]int, *items), *workers); err == nil {
			fmt.Fprintln(os.Stderr, "unexpected success")
		}
	}
	time.Sleep(200 * time.Millisecond) // let the last distributors park on their send
	serve()
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
