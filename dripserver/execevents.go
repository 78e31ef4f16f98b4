package dripserver

// Execution events: GET /events, /events/{id}, /events/{id}/trace.

// schemaEvents is migration 6.
const schemaEvents = `SELECT 1;`

// eventRoutes registers the execution-event routes.
func (s *Server) eventRoutes(api, secret routeFunc) {}
