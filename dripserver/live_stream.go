package dripserver

import (
	"io"
	"net/http"
	"time"
)

// livePing is how often an idle live stream sends a comment line, so
// proxies and clients keep it open.
const livePing = 15 * time.Second

// ServeLive streams what dripd commits from now on as server-sent events
// (text/event-stream): for each LiveEvent an "event: <kind>" line and a
// "data: <json>" line, and ": ping" every 15 s. Nothing committed before
// the request is replayed. It answers GET /v1/dev/stream (a dripd
// extension: hosted Drip has no such endpoint); a UI mounted with WithUI
// serves it behind its own authentication. The stream ends when the client
// goes away, when it falls too far behind, or when the server shuts down.
func (s *Server) ServeLive(w http.ResponseWriter, r *http.Request) {
	events, cancel := s.Subscribe() // before the reply: nothing after it is missed
	defer cancel()
	rc := http.NewResponseController(w)
	// The stream outlives the server's whole-request read deadline, which
	// would otherwise cancel it after ReadTimeout.
	_ = rc.SetReadDeadline(time.Time{})
	_ = rc.SetWriteDeadline(time.Time{})
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no") // nginx: do not buffer the stream
	w.WriteHeader(http.StatusOK)
	if _, err := io.WriteString(w, ": connected\n\n"); err != nil {
		return
	}
	if rc.Flush() != nil {
		return
	}
	ping := time.NewTicker(livePing)
	defer ping.Stop()
	for {
		var err error
		select {
		case <-r.Context().Done():
			return
		case <-ping.C:
			_, err = io.WriteString(w, ": ping\n\n")
		case ev, ok := <-events:
			if !ok {
				return
			}
			_, err = io.WriteString(w, "event: "+ev.Kind+"\ndata: "+string(ev.Data)+"\n\n")
		}
		if err != nil || rc.Flush() != nil {
			return
		}
	}
}
