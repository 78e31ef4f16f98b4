package spool

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func open(t *testing.T, dir string, opt Options) (*Log, []Record) {
	t.Helper()
	l, recs, err := Open(dir, opt)
	if err != nil {
		t.Fatal(err)
	}
	return l, recs
}

func data(recs []Record) []string {
	var out []string
	for _, r := range recs {
		out = append(out, string(r.Data))
	}
	return out
}

func TestReopenReturnsWhatWasNotReleased(t *testing.T) {
	dir := t.TempDir()
	l, recs := open(t, dir, Options{SegmentBytes: 64})
	if len(recs) != 0 {
		t.Fatalf("new spool returned %d records", len(recs))
	}
	var all []uint64
	for i := range 20 {
		seqs, err := l.Append([][]byte{[]byte(fmt.Sprintf("r%02d", i))})
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, seqs...)
	}
	// Release out of order: every even record and a few odd ones.
	var keep []string
	for i, seq := range all {
		if i%2 == 0 || i == 5 || i == 13 {
			if err := l.Release(seq); err != nil {
				t.Fatal(err)
			}
		} else {
			keep = append(keep, fmt.Sprintf("r%02d", i))
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	l, recs = open(t, dir, Options{SegmentBytes: 64})
	defer l.Close()
	if got := data(recs); !slices.Equal(got, keep) {
		t.Fatalf("reopened: %v, want %v", got, keep)
	}
	// New seqs never reuse old ones.
	seqs, _ := l.Append([][]byte{[]byte("new")})
	if seqs[0] <= all[len(all)-1] {
		t.Fatalf("seq %d reused (last was %d)", seqs[0], all[len(all)-1])
	}
}

func TestReleasedSegmentsAreDeleted(t *testing.T) {
	dir := t.TempDir()
	l, _ := open(t, dir, Options{SegmentBytes: 100})
	defer l.Close()
	var seqs []uint64
	for range 50 {
		s, err := l.Append([][]byte{make([]byte, 40)})
		if err != nil {
			t.Fatal(err)
		}
		seqs = append(seqs, s...)
	}
	before, _ := filepath.Glob(filepath.Join(dir, "*.seg"))
	if err := l.Release(seqs...); err != nil {
		t.Fatal(err)
	}
	after, _ := filepath.Glob(filepath.Join(dir, "*.seg"))
	if len(before) < 10 || len(after) != 1 {
		t.Fatalf("segments before %d, after %d (want many, then the active one)", len(before), len(after))
	}
	if l.Size() > 100 {
		t.Fatalf("size %d after releasing everything", l.Size())
	}
}

func TestTornTailIsCut(t *testing.T) {
	dir := t.TempDir()
	l, _ := open(t, dir, Options{})
	l.Append([][]byte{[]byte("one"), []byte("two")})
	l.Close()
	// A crash mid-write leaves half a record at the end of the segment.
	segs, _ := filepath.Glob(filepath.Join(dir, "*.seg"))
	f, err := os.OpenFile(segs[0], os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte{9, 0, 0, 0, 1, 2, 3})
	f.Close()
	l, recs := open(t, dir, Options{})
	defer l.Close()
	if got := data(recs); !slices.Equal(got, []string{"one", "two"}) {
		t.Fatalf("after a torn write: %v", got)
	}
}

func TestCorruptRecordEndsSegment(t *testing.T) {
	dir := t.TempDir()
	l, _ := open(t, dir, Options{})
	l.Append([][]byte{[]byte("good"), []byte("flip")})
	l.Close()
	segs, _ := filepath.Glob(filepath.Join(dir, "*.seg"))
	b, _ := os.ReadFile(segs[0])
	b[len(b)-1] ^= 0xff
	os.WriteFile(segs[0], b, 0o600)
	l, recs := open(t, dir, Options{})
	defer l.Close()
	if got := data(recs); !slices.Equal(got, []string{"good"}) {
		t.Fatalf("after corruption: %v", got)
	}
}

func TestOneProcessPerDirectory(t *testing.T) {
	dir := t.TempDir()
	l, _ := open(t, dir, Options{})
	if _, _, err := Open(dir, Options{}); !errors.Is(err, ErrLocked) {
		t.Fatalf("second Open: %v, want ErrLocked", err)
	}
	l.Close()
	l2, _ := open(t, dir, Options{})
	l2.Close()
}

func TestFullRefusesAndKeepsOld(t *testing.T) {
	dir := t.TempDir()
	l, _ := open(t, dir, Options{MaxBytes: 100})
	defer l.Close()
	if _, err := l.Append([][]byte{make([]byte, 60)}); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Append([][]byte{make([]byte, 60)}); !errors.Is(err, ErrFull) {
		t.Fatalf("append past MaxBytes: %v, want ErrFull", err)
	}
	l.Close()
	l, recs := open(t, dir, Options{MaxBytes: 100})
	if len(recs) != 1 {
		t.Fatalf("%d records kept, want the 1 written before the spool filled", len(recs))
	}
}

func TestDeadLetter(t *testing.T) {
	dir := t.TempDir()
	l, _ := open(t, dir, Options{})
	seqs, _ := l.Append([][]byte{[]byte(`{"k":"event"}`), []byte(`{"k":"ok"}`)})
	if err := l.DeadLetter(seqs[0], []byte(`{"k":"event"}`), "eventType too long"); err != nil {
		t.Fatal(err)
	}
	l.Close()
	b, err := os.ReadFile(filepath.Join(dir, "deadletter.jsonl"))
	if err != nil || !strings.Contains(string(b), `"reason":"eventType too long"`) || !strings.Contains(string(b), `"record":{"k":"event"}`) {
		t.Fatalf("dead-letter file: %q %v", b, err)
	}
	l, recs := open(t, dir, Options{})
	defer l.Close()
	if got := data(recs); !slices.Equal(got, []string{`{"k":"ok"}`}) {
		t.Fatalf("dead letter still spooled: %v", got)
	}
}
