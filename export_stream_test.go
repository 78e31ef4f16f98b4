package drip

// StreamFlushJoined reports how many Flush calls are waiting on the flush
// m has in flight (-1 when none is), so tests of package drip_test can
// start a concurrent Flush and know it joined before letting the first
// one finish.
func StreamFlushJoined(m *StreamMeter) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.inflight == nil {
		return -1
	}
	return m.inflight.joined
}
