package sampleapp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"
)

// shutdownGrace bounds how long stopping waits for requests in flight.
const shutdownGrace = 5 * time.Second

// Run starts an App for o on o.Listen (default 127.0.0.1:0) and returns its
// address (host:port). It serves until ctx ends or stop is called; stop
// waits for the server to finish (at most a few seconds for requests in
// flight) and may be called more than once.
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
	stopped := make(chan struct{})
	var once sync.Once
	stop = func() {
		once.Do(func() {
			close(stopped)
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
// that asked for port 0 learns the port). It returns nil when ctx ends.
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
	if out != nil {
		fmt.Fprintf(out, "listening on http://%s\n", ln.Addr())
	}
	select {
	case err := <-errc:
		return fmt.Errorf("sample app: %w", err)
	case <-ctx.Done():
		shutdown(srv)
		<-errc
		return nil
	}
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
