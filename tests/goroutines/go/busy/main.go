// A busy, healthy service: an HTTP server under a steady load from its own keep-alive clients,
// worker pools fed by a dispatcher, request statistics kept under a mutex that every request
// takes, and a cache read under an RWMutex that a ticker refreshes. Many goroutines, all moving;
// a dump taken under the load catches some of them waiting a moment for the statistics lock.
package main

import (
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	_ "net/http/pprof"
	"runtime"
	"strconv"
	"sync"
	"time"
)

type Stats struct {
	mu       sync.Mutex
	requests map[string]int
	bytes    int
}

func (s *Stats) Record(path string, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests[path]++
	s.bytes += n
}

type Cache struct {
	mu      sync.RWMutex
	entries map[int]string
}

func (c *Cache) Get(key int) (string, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	v, ok := c.entries[key]
	return v, ok
}

func (c *Cache) refreshEvery(period time.Duration) {
	ticker := time.NewTicker(period)
	defer ticker.Stop()
	for range ticker.C {
		fresh := make(map[int]string, 256)
		for i := 0; i < 256; i++ {
			fresh[i] = strconv.Itoa(i * i)
		}
		c.mu.Lock()
		c.entries = fresh
		c.mu.Unlock()
	}
}

type Service struct {
	stats *Stats
	cache *Cache
	jobs  chan int
}

func (s *Service) handle(w http.ResponseWriter, r *http.Request) {
	key, _ := strconv.Atoi(r.URL.Query().Get("k"))
	value, _ := s.cache.Get(key % 256)
	sum := 0
	for i := 0; i < 2000; i++ { // a little work per request
		sum += i * key
	}
	select {
	case s.jobs <- key:
	default: // the pools are busy: drop the background job
	}
	n, _ := fmt.Fprintf(w, "%s %d\n", value, sum)
	s.stats.Record(r.URL.Path, n)
}

func worker(jobs <-chan int, stats *Stats) {
	for j := range jobs {
		sum := 0
		for i := 0; i < 5000; i++ {
			sum += i ^ j
		}
		stats.Record("/job", sum&1)
	}
}

func client(base string, id int, c *http.Client) {
	for i := 0; ; i++ {
		resp, err := c.Get(fmt.Sprintf("%s/work?k=%d", base, id*1000+i))
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		time.Sleep(time.Duration(1+id%5) * time.Millisecond)
	}
}

func main() {
	clients := flag.Int("clients", 64, "keep-alive clients sending requests in a loop")
	workers := flag.Int("workers", 32, "background workers")
	warmup := flag.Duration("warmup", time.Second, "load before the port is announced")
	flag.Parse()
	s := &Service{
		stats: &Stats{requests: map[string]int{}},
		cache: &Cache{entries: map[int]string{}},
		jobs:  make(chan int, 64),
	}
	go s.cache.refreshEvery(20 * time.Millisecond)
	for i := 0; i < *workers; i++ {
		go worker(s.jobs, s.stats)
	}
	mux := http.DefaultServeMux
	mux.HandleFunc("/work", s.handle)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	go func() { panic(http.Serve(ln, mux)) }()
	base := "http://" + ln.Addr().String()
	transport := &http.Transport{MaxIdleConnsPerHost: *clients}
	httpClient := &http.Client{Transport: transport, Timeout: 5 * time.Second}
	for i := 0; i < *clients; i++ {
		go client(base, i, httpClient)
	}
	go func() {
		for {
			runtime.GC() // wait minutes are only stamped on goroutines during a GC
			time.Sleep(200 * time.Millisecond)
		}
	}()
	time.Sleep(*warmup) // the dumps are taken under load
	fmt.Printf("PORT %d\n", ln.Addr().(*net.TCPAddr).Port)
	select {}
}
