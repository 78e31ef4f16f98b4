package langchaingo

// StateSizeForTest exposes the state size to the external tests.
func StateSizeForTest(h *CallbackHandler) int { return h.stateSize() }
