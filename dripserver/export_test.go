package dripserver

import "context"

// DeliverDue sends every webhook delivery due now, as one pass of Run
// does, and returns when they are done: tests drive deliveries with it
// instead of waiting on Run.
func DeliverDue(ctx context.Context, s *Server) error {
	_, err := s.svc.deliverDue(ctx)
	return err
}
