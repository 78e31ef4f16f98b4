package dripserver

// WithNotifyHook lets tests see each webhook event billing queues, in
// order, as it is queued.
func WithNotifyHook(f func(typ string, data any)) Option {
	return func(s *Server) { s.svc.bill.onNotify = f }
}
