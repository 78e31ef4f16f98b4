package openaigo_test

import (
	"bytes"
	"context"
	"math"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"

	drip "github.com/drip-sdk/drip-go"
	"github.com/drip-sdk/drip-go/driptest"
	"github.com/drip-sdk/drip-go/driptest/openaitest"
)

// audio is a fake audio file: the form carries it before the model, so
// the meter must read through it to find the model.
func audio() *bytes.Reader {
	return bytes.NewReader(bytes.Repeat([]byte("RIFF\x00\x01wave"), 8<<10))
}

func transcriptionParams(model string) openai.AudioTranscriptionNewParams {
	return openai.AudioTranscriptionNewParams{File: openai.File(audio(), "speech.wav", "audio/wav"), Model: model}
}

// wantTranscription asserts an llm.completion of a token-billed
// transcription: the stub's tokens, the part that was audio, the request's
// model, and a cost at the model's audio rate.
func wantTranscription(t *testing.T, ev driptest.Event, model string, streamed bool) {
	t.Helper()
	d := openaitest.DefaultUsage
	n := func(k string) float64 { f, _ := ev.Metadata[k].(float64); return f }
	if ev.EventType != drip.EventLLMCompletion || ev.Quantity != float64(d.Total()) || ev.Units != "tokens" ||
		n("inputTokens") != float64(d.Prompt) || n("outputTokens") != float64(d.Completion) ||
		n("audioInputTokens") != float64(d.Audio) {
		t.Fatalf("event %s %v %s, metadata %v", ev.EventType, ev.Quantity, ev.Units, ev.Metadata)
	}
	if ev.Metadata["model"] != model || ev.Metadata["operation"] != "transcription" || ev.Metadata["usageEstimated"] != nil ||
		(ev.Metadata["streamed"] == true) != streamed {
		t.Errorf("metadata %v", ev.Metadata)
	}
	// gpt-4o-transcribe: $6 per 1M audio tokens, $2.50 text in, $10 out.
	want := (float64(d.Audio)*6 + float64(d.Prompt-d.Audio)*2.50 + float64(d.Completion)*10) / 1e6
	if model == "gpt-4o-transcribe" && (ev.CostUnits == nil || math.Abs(*ev.CostUnits-want) > 1e-12) {
		t.Errorf("cost %v, want %v", ev.CostUnits, want)
	}
	for k, v := range ev.Metadata {
		if s, ok := v.(string); ok && strings.Contains(s, "Hello") {
			t.Errorf("transcript in metadata %q", k)
		}
	}
}

// A transcription is metered through both routes with the tokens the SDK
// read, the model taken from the form, after the audio.
func TestTranscription(t *testing.T) {
	for _, r := range routes {
		t.Run(r.name, func(t *testing.T) {
			e := newEnv(t)
			c := e.client(r.opt(e))
			resp, evs := replyInRun(t, e, func(ctx context.Context) (*openai.AudioTranscriptionNewResponseUnion, error) {
				return c.Audio.Transcriptions.New(ctx, transcriptionParams("gpt-4o-transcribe"))
			})
			u := resp.Usage
			if resp.Text != e.stub.Text() || u.InputTokens != int64(openaitest.DefaultUsage.Prompt) ||
				u.InputTokenDetails.AudioTokens != int64(openaitest.DefaultUsage.Audio) {
				t.Fatalf("reply %s", resp.RawJSON())
			}
			wantTranscription(t, one(t, evs), "gpt-4o-transcribe", false)
		})
	}
}

func TestTranscriptionStream(t *testing.T) {
	for _, r := range routes {
		t.Run(r.name, func(t *testing.T) {
			e := newEnv(t)
			c := e.client(r.opt(e))
			var text strings.Builder
			var done openai.TranscriptionTextDoneEvent
			evs := e.inRun(t, func(ctx context.Context) {
				s := c.Audio.Transcriptions.NewStreaming(ctx, transcriptionParams("gpt-4o-mini-transcribe"))
				defer s.Close()
				for s.Next() {
					switch ev := s.Current().AsAny().(type) {
					case openai.TranscriptionTextDeltaEvent:
						text.WriteString(ev.Delta)
					case openai.TranscriptionTextDoneEvent:
						done = ev
					}
				}
				if err := s.Err(); err != nil {
					t.Fatal(err)
				}
			})
			if text.String() != e.stub.Text() || done.Usage.InputTokens != int64(openaitest.DefaultUsage.Prompt) {
				t.Fatalf("read %q, done %s", text.String(), done.RawJSON())
			}
			wantTranscription(t, one(t, evs), "gpt-4o-mini-transcribe", true)
		})
	}
}

// whisper-1 is billed by the seconds of audio: the event's quantity, priced
// by the minute; outside a run they go to their own meter, never into the
// token meter.
func TestTranscriptionBilledBySeconds(t *testing.T) {
	secs := openaitest.DefaultUsage.Seconds
	for _, r := range routes {
		t.Run(r.name, func(t *testing.T) {
			e := newEnv(t)
			c := e.client(r.opt(e))
			for _, format := range []openai.AudioResponseFormat{openai.AudioResponseFormatJSON, openai.AudioResponseFormatVerboseJSON} {
				p := transcriptionParams("whisper-1")
				p.ResponseFormat = format
				evs := e.inRun(t, func(ctx context.Context) {
					resp, err := c.Audio.Transcriptions.New(ctx, p)
					if err != nil {
						t.Fatal(err)
					}
					if resp.Usage.Type != "duration" || resp.Usage.Seconds != secs {
						t.Fatalf("reply %s", resp.RawJSON())
					}
				})
				ev := one(t, evs)
				want := secs / 60 * 0.006 // $0.006 a minute
				if ev.EventType != drip.EventLLMCompletion || ev.Quantity != secs || ev.Units != "seconds" ||
					ev.Metadata["audioSeconds"] != secs || ev.Metadata["model"] != "whisper-1" || ev.Metadata["inputTokens"] != nil ||
					ev.CostUnits == nil || math.Abs(*ev.CostUnits-want) > 1e-12 {
					t.Fatalf("%s: event %s %v %s, cost %v, metadata %v", format, ev.EventType, ev.Quantity, ev.Units, ev.CostUnits, ev.Metadata)
				}
			}

			if _, err := c.Audio.Transcriptions.New(t.Context(), transcriptionParams("whisper-1")); err != nil {
				t.Fatal(err)
			}
			e.flush(t)
			recs := e.drip.UsageRecords()
			if len(recs) != 1 || recs[0].UsageType != drip.DefaultAudioMeter || recs[0].Quantity != secs ||
				recs[0].Metadata["model"] != "whisper-1" || recs[0].CustomerID != e.cust {
				t.Fatalf("usage records: %+v", recs)
			}
		})
	}
}

// A transcription asked as bare text carries no usage: it is recorded
// all the same, its output estimated from the text and marked so.
func TestTranscriptionAsTextIsEstimated(t *testing.T) {
	e := newEnv(t)
	c := e.client(routes[0].opt(e))
	var got string
	evs := e.inRun(t, func(ctx context.Context) {
		p := transcriptionParams("gpt-4o-transcribe")
		p.ResponseFormat = openai.AudioResponseFormatText
		// The SDK reads a text reply into a *string through Post.
		var s string
		if err := c.Post(ctx, "audio/transcriptions", p, &s); err != nil {
			t.Fatal(err)
		}
		got = s
	})
	ev := one(t, evs)
	out := int64(len(got)+3) / 4
	if !strings.HasPrefix(got, e.stub.Text()) || ev.Metadata["usageEstimated"] != true ||
		ev.Metadata["outputTokens"] != float64(out) || ev.Metadata["model"] != "gpt-4o-transcribe" {
		t.Fatalf("text %q, event %v", got, ev.Metadata)
	}
}
