// Command ssekit-bench-peer serves the protocol of ssekit's samples/pubsub
// with net/http, the way a Go developer would write a small SSE pub/sub
// server: a topic map under a mutex, per subscriber a buffered channel, and
// the handler goroutine writing each event and flushing it.
//
//	$ go-peer --port 8080
//	$ curl -N http://127.0.0.1:8080/sub/news &
//	$ curl -d 'hello' http://127.0.0.1:8080/pub/news
//
// Go 1.19 raises RLIMIT_NOFILE to the hard limit by itself, and GOMAXPROCS
// follows the CPU affinity (taskset), so neither is set here.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

// subscriberBuffer is how many events may wait for one slow subscriber; a
// subscriber that falls further behind misses events (the publisher never
// blocks). At the benchmark's 20 events/s this is 50 s of slack.
const subscriberBuffer = 1024

type topic struct {
	subscribers map[chan []byte]struct{}
	lastID      uint64
}

type broker struct {
	mu     sync.Mutex
	topics map[string]*topic
}

func (b *broker) topic(name string) *topic {
	t, ok := b.topics[name]
	if !ok {
		t = &topic{subscribers: make(map[chan []byte]struct{})}
		b.topics[name] = t
	}
	return t
}

func (b *broker) subscribe(name string, ch chan []byte) {
	b.mu.Lock()
	b.topic(name).subscribers[ch] = struct{}{}
	b.mu.Unlock()
}

func (b *broker) unsubscribe(name string, ch chan []byte) {
	b.mu.Lock()
	delete(b.topics[name].subscribers, ch)
	b.mu.Unlock()
}

// publish encodes the event once and hands the same bytes to every subscriber.
func (b *broker) publish(name string, data string) uint64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	t := b.topic(name)
	t.lastID++
	event := []byte(encodeEvent(t.lastID, data))
	for ch := range t.subscribers {
		select {
		case ch <- event:
		default: // this subscriber is subscriberBuffer events behind
		}
	}
	return t.lastID
}

// encodeEvent gives every line of data its own data field (WHATWG HTML 9.2.6).
var lineBreaks = strings.NewReplacer("\r\n", "\ndata: ", "\r", "\ndata: ", "\n", "\ndata: ")

func encodeEvent(id uint64, data string) string {
	return "id: " + strconv.FormatUint(id, 10) + "\ndata: " + lineBreaks.Replace(data) + "\n\n"
}

// topicName is the rest of the path after prefix, or "" when it is empty or nested.
func topicName(path, prefix string) string {
	name := strings.TrimPrefix(path, prefix)
	if strings.Contains(name, "/") {
		return ""
	}
	return name
}

func (b *broker) serveSubscribe(w http.ResponseWriter, r *http.Request) {
	name := topicName(r.URL.Path, "/sub/")
	if r.Method != http.MethodGet || name == "" {
		http.NotFound(w, r)
		return
	}
	flusher := w.(http.Flusher)
	// Registered before the head is sent: whatever is published after the
	// client sees the head reaches it.
	ch := make(chan []byte, subscriberBuffer)
	b.subscribe(name, ch)
	defer b.unsubscribe(name, ch)

	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	flusher.Flush()

	for {
		select {
		case <-r.Context().Done():
			return
		case event := <-ch:
			if _, err := w.Write(event); err != nil {
				return
			}
			flusher.Flush()
		}
	}
}

func (b *broker) servePublish(w http.ResponseWriter, r *http.Request) {
	name := topicName(r.URL.Path, "/pub/")
	if r.Method != http.MethodPost || name == "" {
		http.NotFound(w, r)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
	if err != nil {
		http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
		return
	}
	id := b.publish(name, string(body))
	w.Header().Set("Content-Type", "text/plain")
	fmt.Fprintf(w, "%d\n", id)
}

func main() {
	port := flag.Int("port", 8080, "TCP port on 127.0.0.1")
	flag.Parse()

	b := &broker{topics: make(map[string]*topic)}
	mux := http.NewServeMux()
	mux.HandleFunc("/sub/", b.serveSubscribe)
	mux.HandleFunc("/pub/", b.servePublish)
	srv := &http.Server{Handler: mux}

	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(*port)))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("listening on http://%s\n", ln.Addr())
	os.Stdout.Sync()

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		// Shutdown would wait for the streams to go idle, which they never do.
		srv.Close()
	}()
	if err := srv.Serve(ln); err != http.ErrServerClosed {
		log.Fatal(err)
	}
}
