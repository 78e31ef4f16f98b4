package dashboard

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Sessions: when dripd requires API keys, the dashboard asks for one once
// and then knows the browser by a random session id in a cookie. The key
// itself is never stored in the cookie, the page or the session.

const (
	sessionCookie = "dripd_session"
	// sessionTTL is how long a login lasts.
	sessionTTL = 12 * time.Hour
	// maxSessions bounds the table; the oldest is evicted beyond it.
	maxSessions = 1000
)

type sessions struct {
	mu  sync.Mutex
	ids map[string]time.Time // id → expiry
}

func (s *sessions) create(now time.Time) string {
	var b [32]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand)
	id := hex.EncodeToString(b[:])
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ids == nil {
		s.ids = map[string]time.Time{}
	}
	for k, exp := range s.ids {
		if now.After(exp) {
			delete(s.ids, k)
		}
	}
	if len(s.ids) >= maxSessions {
		oldest, at := "", time.Time{}
		for k, exp := range s.ids {
			if oldest == "" || exp.Before(at) {
				oldest, at = k, exp
			}
		}
		delete(s.ids, oldest)
	}
	s.ids[id] = now.Add(sessionTTL)
	return id
}

func (s *sessions) valid(id string, now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	exp, ok := s.ids[id]
	return ok && now.Before(exp)
}

func (s *sessions) end(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.ids, id)
}

// loggedIn reports whether r carries a live session.
func (h *Handler) loggedIn(r *http.Request) bool {
	c, err := r.Cookie(sessionCookie)
	return err == nil && h.sessions.valid(c.Value, time.Now())
}

func (h *Handler) loginForm(w http.ResponseWriter, r *http.Request) {
	h.render(w, r, http.StatusOK, "login", loginPage{Next: safeNext(r.URL.Query().Get("next"))})
}

type loginPage struct {
	Next  string
	Error string
}

// login checks the submitted key and starts a session. A wrong key gets the
// form again with 401; nothing echoes what was typed.
func (h *Handler) login(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 8<<10)
	key := strings.TrimSpace(r.PostFormValue("key"))
	next := safeNext(r.PostFormValue("next"))
	if key == "" || !h.srv.ValidKey(key) {
		h.render(w, r, http.StatusUnauthorized, "login", loginPage{Next: next,
			Error: "That is not one of this dripd's API keys."})
		return
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: h.sessions.create(time.Now()), Path: "/",
		MaxAge: int(sessionTTL / time.Second), HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil})
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (h *Handler) logout(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(sessionCookie); err == nil {
		h.sessions.end(c.Value)
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		SameSite: http.SameSiteStrictMode})
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// safeNext keeps a post-login redirect on this origin.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return "/"
	}
	return next
}
