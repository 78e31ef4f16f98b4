package dripserver

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
)

// Instance is a Server listening on a TCP address, as Start returns it.
type Instance struct {
	*Server
	http      *http.Server
	origin    string
	done      chan error
	ownsStore bool
	// stopHooks ends the webhook delivery loop; hooksDone closes when it
	// has.
	stopHooks context.CancelFunc
	hooksDone chan struct{}

	shutdownOnce sync.Once
	shutdownErr  error
}

// Start serves a Server for store on addr ("127.0.0.1:0" picks a free
// port) in the background, over HTTP/1.1. A nil store means a fresh
// in-memory one, closed by Shutdown. It is how cmd/dripd, driptest and the
// examples run dripd in-process:
//
//	inst, err := dripserver.Start(ctx, "127.0.0.1:0", nil)
//	if err != nil { … }
//	defer inst.Shutdown(context.Background())
//	os.Setenv("DRIP_BASE_URL", inst.BaseURL())
func Start(ctx context.Context, addr string, store *Store, opts ...Option) (*Instance, error) {
	owns := false
	if store == nil {
		var err error
		if store, err = OpenStore(":memory:"); err != nil {
			return nil, err
		}
		owns = true
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		if owns {
			store.Close()
		}
		return nil, fmt.Errorf("dripserver: listen on %s: %w", addr, err)
	}
	srv := New(store, opts...)
	inst := &Instance{
		Server: srv,
		http: &http.Server{
			Handler:           srv,
			ReadHeaderTimeout: srv.headerTimeout,
			// A backstop for the routes that never read their body (health,
			// 404s): the server drains it after them. The API routes set
			// their own body deadline.
			ReadTimeout: srv.headerTimeout + srv.bodyTimeout,
			IdleTimeout: DefaultIdleTimeout,
		},
		origin:    "http://" + ln.Addr().String(),
		done:      make(chan error, 1),
		ownsStore: owns,
	}
	// Live streams never finish by themselves: end them when shutdown
	// starts, or it would wait for them until its deadline.
	inst.http.RegisterOnShutdown(srv.svc.live.close)
	hctx, stop := context.WithCancel(context.WithoutCancel(ctx))
	inst.stopHooks, inst.hooksDone = stop, make(chan struct{})
	go func() {
		defer close(inst.hooksDone)
		_ = srv.Run(hctx)
	}()
	go func() {
		err := inst.http.Serve(ln)
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		inst.done <- err
	}()
	return inst, nil
}

// URL returns the origin, e.g. http://127.0.0.1:7420 (GET URL()+"/health").
func (i *Instance) URL() string { return i.origin }

// BaseURL returns the API base URL, e.g. http://127.0.0.1:7420/v1: the value
// for DRIP_BASE_URL.
func (i *Instance) BaseURL() string { return i.origin + "/v1" }

// Shutdown stops accepting requests, waits (until ctx ends) for the ones in
// flight, stops webhook delivery (an attempt in flight is cut short and
// sent again by the next dripd on the same store), and closes the store if
// Start opened it. Calling it again returns the first call's result.
func (i *Instance) Shutdown(ctx context.Context) error {
	i.shutdownOnce.Do(func() { i.shutdownErr = i.shutdown(ctx) })
	return i.shutdownErr
}

func (i *Instance) shutdown(ctx context.Context) error {
	err := i.http.Shutdown(ctx)
	if err != nil {
		_ = i.http.Close()
	}
	if serr := <-i.done; err == nil {
		err = serr
	}
	i.stopHooks()
	<-i.hooksDone
	if i.ownsStore {
		err = errors.Join(err, i.store.Close())
	}
	return err
}
