package sampleapp

import (
	"context"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

const (
	// MaxInFlight bounds the requests Drive has open at once; a request due
	// while that many are open is skipped (not sent), so a slow target gets
	// less than the asked rate instead of unbounded goroutines.
	MaxInFlight = 256
	// driveTimeout bounds one request of Drive.
	driveTimeout = 10 * time.Second
	// minTick is the finest scheduling step: above 1000 rps, the requests
	// due within one tick are sent together.
	minTick = time.Millisecond
)

// Drive sends GET requests to url at a steady rps requests per second until
// ctx ends, then waits for the requests in flight and returns how many
// requests completed (sent) and how many of those failed (an HTTP status
// other than 2xx, or a transport error or timeout). Requests cut short
// because ctx ended are in neither count. At most MaxInFlight requests are
// open at once. rps ≤ 0 sends nothing.
func Drive(ctx context.Context, url string, rps int) (sent, failed int64) {
	if rps <= 0 {
		return 0, 0
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns = MaxInFlight
	tr.MaxIdleConnsPerHost = MaxInFlight
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: driveTimeout}

	var (
		nSent, nFailed atomic.Int64
		inFlight       atomic.Int64
		wg             sync.WaitGroup
	)
	one := func() {
		defer wg.Done()
		defer inFlight.Add(-1)
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			// A malformed URL fails every request.
			nSent.Add(1)
			nFailed.Add(1)
			return
		}
		resp, err := client.Do(req)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			nSent.Add(1)
			nFailed.Add(1)
			return
		}
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
		_ = resp.Body.Close()
		nSent.Add(1)
		if resp.StatusCode/100 != 2 {
			nFailed.Add(1)
		}
	}

	tick := max(time.Second/time.Duration(rps), minTick)
	t := time.NewTicker(tick)
	defer t.Stop()
	start := time.Now()
	var issued int64
	for {
		// Requests due by now: one at once, then rps per second.
		due := int64(time.Since(start).Seconds()*float64(rps)) + 1
		for ; issued < due; issued++ {
			if ctx.Err() != nil {
				break
			}
			if inFlight.Load() >= MaxInFlight {
				continue // skipped: the target is too slow for this rate
			}
			inFlight.Add(1)
			wg.Add(1)
			go one()
		}
		select {
		case <-ctx.Done():
			wg.Wait()
			return nSent.Load(), nFailed.Load()
		case <-t.C:
		}
	}
}
