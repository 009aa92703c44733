package sampleapp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// shutdownGrace bounds how long stopping waits for requests in flight.
const shutdownGrace = 5 * time.Second

// Run starts an App for o on o.Listen (default 127.0.0.1:0) and returns its
// address (host:port). It serves until ctx ends or stop is called; stop
// waits for the server to finish (at most a few seconds for requests in
// flight) and may be called more than once. With o.LoadRPS set, the app
// drives that load to itself until it stops.
func Run(ctx context.Context, o Options) (addr string, stop func(), err error) {
	app, err := New(o)
	if err != nil {
		return "", nil, err
	}
	listen := o.Listen
	if listen == "" {
		listen = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return "", nil, fmt.Errorf("sample app: %w", err)
	}
	srv := newServer(app)
	served := make(chan struct{})
	go func() {
		defer close(served)
		_ = srv.Serve(ln)
	}()
	stopLoad := selfLoad(ln.Addr(), o.LoadRPS)
	stopped := make(chan struct{})
	var once sync.Once
	stop = func() {
		once.Do(func() {
			close(stopped)
			stopLoad()
			shutdown(srv)
			<-served
		})
	}
	go func() {
		select {
		case <-ctx.Done():
			stop()
		case <-stopped:
		}
	}()
	return ln.Addr().String(), stop, nil
}

// Serve runs an App for o on o.Listen until ctx ends. Once it listens, it
// writes one line "listening on http://HOST:PORT" to out (so a parent process
// that asked for port 0 learns the port). With o.LoadRPS set, the app drives
// that load to itself while it serves. It returns nil when ctx ends.
func Serve(ctx context.Context, o Options, out io.Writer) error {
	if o.Listen == "" {
		return errors.New("sample app: no listen address")
	}
	app, err := New(o)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", o.Listen)
	if err != nil {
		return fmt.Errorf("sample app: %w", err)
	}
	srv := newServer(app)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	stopLoad := selfLoad(ln.Addr(), o.LoadRPS)
	if out != nil {
		fmt.Fprintf(out, "listening on http://%s\n", ln.Addr())
	}
	select {
	case err := <-errc:
		stopLoad()
		return fmt.Errorf("sample app: %w", err)
	case <-ctx.Done():
		stopLoad()
		shutdown(srv)
		<-errc
		return nil
	}
}

// selfLoad drives rps requests per second (Drive) to the / of the app
// listening at addr, over loopback, until the returned stop is called; stop
// cancels the requests in flight and waits for Drive to return. The
// requests go through the app's HTTP server, so they are counted like any
// other. rps ≤ 0 sends nothing.
func selfLoad(addr net.Addr, rps int) (stop func()) {
	if rps <= 0 {
		return func() {}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		Drive(ctx, "http://"+loopbackAddr(addr)+"/", rps)
	}()
	return func() {
		cancel()
		<-done
	}
}

// loopbackAddr returns the host:port at which this process reaches a
// listener on addr: a wildcard address (0.0.0.0 or ::, as for ":8080")
// becomes 127.0.0.1, which a wildcard listener also accepts; a specific
// address is used as is.
func loopbackAddr(addr net.Addr) string {
	tcp, ok := addr.(*net.TCPAddr)
	if !ok {
		return addr.String()
	}
	ip := tcp.IP
	if ip == nil || ip.IsUnspecified() {
		ip = net.IPv4(127, 0, 0, 1)
	}
	return net.JoinHostPort(ip.String(), strconv.Itoa(tcp.Port))
}

// server is an http.Server that knows its connections that have not sent a
// request yet: http.Server.Shutdown waits up to 5 s for those (a client's
// spare keep-alive connection), while stopping should only wait for requests
// in flight.
type server struct {
	*http.Server
	mu    sync.Mutex
	fresh map[net.Conn]struct{}
}

func newServer(app *App) *server {
	s := &server{fresh: map[net.Conn]struct{}{}}
	s.Server = &http.Server{
		Handler:           app,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       time.Minute,
		ConnState: func(c net.Conn, st http.ConnState) {
			s.mu.Lock()
			defer s.mu.Unlock()
			if st == http.StateNew {
				s.fresh[c] = struct{}{}
			} else {
				delete(s.fresh, c)
			}
		},
	}
	return s
}

// shutdown stops srv: no new connections, idle and fresh ones closed,
// requests in flight finished (for at most shutdownGrace, then cut).
func shutdown(srv *server) {
	ctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- srv.Shutdown(ctx) }()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		srv.mu.Lock()
		for c := range srv.fresh {
			_ = c.Close()
			delete(srv.fresh, c)
		}
		srv.mu.Unlock()
		select {
		case err := <-done:
			if err != nil {
				_ = srv.Close()
			}
			return
		case <-tick.C:
		}
	}
}
