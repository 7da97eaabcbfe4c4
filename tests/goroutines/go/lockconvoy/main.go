// A cache whose refresh holds the write lock while it waits for the backend's reply on a
// channel. The backend never replies, so the refresh stays inside the critical section and
// every reader (RLock) and writer (Lock) queues behind it. Beside it, a log tailer blocks in a
// read(2) on a pipe nobody writes while holding nothing: a goroutine in a syscall that a guess
// by the kind of wait alone would name as the holder.
package main

import (
	"flag"
	"fmt"
	"net"
	"net/http"
	_ "net/http/pprof"
	"runtime"
	"sync"
	"syscall"
	"time"
)

type Cache struct {
	mu      sync.RWMutex
	entries map[string]string
	replies chan map[string]string
}

func (c *Cache) Refresh(locked chan<- struct{}) {
	c.mu.Lock()
	defer c.mu.Unlock()
	close(locked)
	c.entries = <-c.replies // the backend never replies: blocked inside the critical section
}

func (c *Cache) Get(key string) string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.entries[key]
}

func (c *Cache) Put(key, value string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.entries[key] = value
}

func tailLog(fd int) {
	buf := make([]byte, 1)
	_, _ = syscall.Read(fd, buf) // blocking fd: stays in the syscall for ever
}

func main() {
	readers := flag.Int("readers", 8, "goroutines queued on RLock")
	writers := flag.Int("writers", 2, "goroutines queued on Lock")
	flag.Parse()
	var fds [2]int
	if err := syscall.Pipe(fds[:]); err != nil {
		panic(err)
	}
	go tailLog(fds[0])
	started := pools()
	c := &Cache{entries: map[string]string{}, replies: make(chan map[string]string)}
	locked := make(chan struct{})
	go c.Refresh(locked)
	<-locked
	var queued sync.WaitGroup
	queued.Add(*readers + *writers)
	for i := 0; i < *readers; i++ {
		go func(i int) {
			queued.Done()
			c.Get(fmt.Sprintf("key-%d", i))
		}(i)
	}
	for i := 0; i < *writers; i++ {
		go func(i int) {
			queued.Done()
			c.Put(fmt.Sprintf("key-%d", i), "v")
		}(i)
	}
	queued.Wait()
	started.Wait()
	time.Sleep(200 * time.Millisecond) // let the last waiters park on the lock
	serve()
}

// pools starts the service's worker pools: idle workers, each pool at its own site and sized
// for its work (the rest of a healthy program around the convoy).
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
