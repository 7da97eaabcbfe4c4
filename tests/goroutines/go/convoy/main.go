// A mutex convoy: one goroutine takes the lock and blocks in a read(2) syscall on a pipe that
// nobody writes (like a netlink receive that never returns), while many goroutines queue on the
// same mutex.
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

type LinkManager struct {
	mu     sync.Mutex
	readFd int
}

// setupLink holds the lock across a blocking syscall on its own OS thread.
func (m *LinkManager) setupLink(ready chan<- struct{}) {
	runtime.LockOSThread()
	m.mu.Lock()
	defer m.mu.Unlock()
	close(ready)
	buf := make([]byte, 1)
	_, _ = syscall.Read(m.readFd, buf) // blocking fd: stays in the syscall forever
}

func (m *LinkManager) AllocateIP(pod int) {
	m.mu.Lock()
	defer m.mu.Unlock()
}

func (m *LinkManager) ReleaseIP(pod int) {
	m.mu.Lock()
	defer m.mu.Unlock()
}

func main() {
	waiters := flag.Int("waiters", 40, "goroutines queued on the mutex")
	flag.Parse()
	var fds [2]int
	if err := syscall.Pipe(fds[:]); err != nil {
		panic(err)
	}
	m := &LinkManager{readFd: fds[0]}
	ready := make(chan struct{})
	go m.setupLink(ready)
	<-ready
	var queued sync.WaitGroup
	queued.Add(*waiters)
	for i := 0; i < *waiters; i++ {
		go func(pod int) {
			queued.Done()
			if pod%4 == 0 {
				m.ReleaseIP(pod)
			} else {
				m.AllocateIP(pod)
			}
		}(i)
	}
	queued.Wait()
	time.Sleep(100 * time.Millisecond) // let the last waiters park on the mutex
	serve()
}

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
