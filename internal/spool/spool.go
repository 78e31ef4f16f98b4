// Package spool is the tracker's durable queue: an append-only log of
// records in segment files, fsynced in groups, from which records are
// released once Drip acknowledged them. A process that crashed, was
// killed or never shut down leaves its unreleased records behind; the
// next Open returns them for delivery.
//
// It is written on the standard library alone (an embedded database would
// add a dependency for every SDK user, spool or not), and the log needs
// no more than this: records are written once, read back only at Open, and
// released in any order.
//
// On disk, dir holds:
//   - LOCK: held (flock) by the one process using the directory;
//   - <first seq>.seg: records, each [len u32][crc32c u32][seq u64][data];
//   - <first seq>.ack: the seqs released from that segment, u64 each;
//   - deadletter.jsonl: records refused for good, one JSON line each,
//     with the reason.
//
// A segment whose records are all released is deleted with its ack file.
// A torn record at a segment's end (a crash mid-write) ends that segment.
package spool

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Defaults, used when Options leaves a field zero.
const (
	// DefaultSyncInterval bounds how long a written record may wait for
	// its fsync.
	DefaultSyncInterval = 200 * time.Millisecond
	// DefaultMaxBytes bounds the records kept on disk (256 MiB).
	DefaultMaxBytes = 256 << 20
	// DefaultSegmentBytes is the size at which a new segment starts (8 MiB).
	DefaultSegmentBytes = 8 << 20
)

// ErrFull is returned by Append when the spool holds MaxBytes: nothing
// unreleased is ever overwritten.
var ErrFull = errors.New("spool: full")

// ErrLocked is returned by Open when another process uses the directory.
var ErrLocked = errors.New("spool: directory in use by another process")

// Options configures a Log.
type Options struct {
	SyncInterval time.Duration
	MaxBytes     int64
	SegmentBytes int64
}

// Record is one unreleased record found by Open.
type Record struct {
	Seq  uint64
	Data []byte
}

const headerLen = 16

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// Log is an open spool directory. Its methods are safe for concurrent use.
type Log struct {
	dir  string
	opt  Options
	lock *os.File

	mu       sync.Mutex
	segs     []*segment // by first seq; the last is active
	next     uint64     // seq of the next record
	size     int64      // bytes of all segment files
	dirty    map[*os.File]bool
	dead     *os.File
	closed   bool
	stop     chan struct{}
	stopped  chan struct{}
	syncErr  error
	writeBuf []byte
}

type segment struct {
	first, last uint64 // seq range written (last < first when empty)
	live        int    // records not released
	released    map[uint64]bool
	f, ack      *os.File
	size        int64
}

// Open opens (creating) the spool in dir, takes its lock, and returns the
// records earlier processes left unreleased, in the order written.
func Open(dir string, opt Options) (*Log, []Record, error) {
	if opt.SyncInterval <= 0 {
		opt.SyncInterval = DefaultSyncInterval
	}
	if opt.MaxBytes <= 0 {
		opt.MaxBytes = DefaultMaxBytes
	}
	if opt.SegmentBytes <= 0 {
		opt.SegmentBytes = DefaultSegmentBytes
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, nil, err
	}
	lock, err := lockDir(filepath.Join(dir, "LOCK"))
	if err != nil {
		return nil, nil, err
	}
	l := &Log{dir: dir, opt: opt, lock: lock, next: 1, dirty: map[*os.File]bool{},
		stop: make(chan struct{}), stopped: make(chan struct{})}
	recs, err := l.load()
	if err != nil {
		unlockDir(lock)
		return nil, nil, err
	}
	go l.syncLoop()
	return l, recs, nil
}

// load reads every segment, drops released records, deletes segments with
// none left, and opens a fresh active segment.
func (l *Log) load() ([]Record, error) {
	names, err := filepath.Glob(filepath.Join(l.dir, "*.seg"))
	if err != nil {
		return nil, err
	}
	var firsts []uint64
	for _, n := range names {
		first, err := strconv.ParseUint(strings.TrimSuffix(filepath.Base(n), ".seg"), 10, 64)
		if err == nil {
			firsts = append(firsts, first)
		}
	}
	slices.Sort(firsts)
	var out []Record
	for _, first := range firsts {
		recs, size, err := readSegment(l.segPath(first))
		if err != nil {
			return nil, err
		}
		released := readAcks(l.ackPath(first))
		s := &segment{first: first, last: first - 1, released: map[uint64]bool{}, size: size}
		for _, r := range recs {
			s.last = r.Seq
			if released[r.Seq] {
				continue
			}
			s.live++
			out = append(out, r)
		}
		l.next = max(l.next, s.last+1)
		if s.live == 0 {
			os.Remove(l.segPath(first))
			os.Remove(l.ackPath(first))
			continue
		}
		// Old segments are only released from, never written again.
		if s.ack, err = os.OpenFile(l.ackPath(first), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600); err != nil {
			return nil, err
		}
		for seq := range released {
			s.released[seq] = true
		}
		l.segs = append(l.segs, s)
		l.size += size
	}
	return out, l.newSegment()
}

func (l *Log) segPath(first uint64) string {
	return filepath.Join(l.dir, fmt.Sprintf("%020d.seg", first))
}

func (l *Log) ackPath(first uint64) string {
	return filepath.Join(l.dir, fmt.Sprintf("%020d.ack", first))
}

// readSegment returns a segment's records up to its first torn or corrupt
// one, and the size of that valid prefix (the file is cut to it).
func readSegment(path string) ([]Record, int64, error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0o600)
	if err != nil {
		return nil, 0, err
	}
	defer f.Close()
	r := bufio.NewReader(f)
	var recs []Record
	var off int64
	var h [headerLen]byte
	for {
		if _, err := io.ReadFull(r, h[:]); err != nil {
			break
		}
		n := binary.LittleEndian.Uint32(h[0:])
		sum := binary.LittleEndian.Uint32(h[4:])
		seq := binary.LittleEndian.Uint64(h[8:])
		data := make([]byte, n)
		if _, err := io.ReadFull(r, data); err != nil {
			break
		}
		if crc32.Update(crc32.Checksum(h[8:16], crcTable), crcTable, data) != sum {
			break
		}
		recs = append(recs, Record{Seq: seq, Data: data})
		off += headerLen + int64(n)
	}
	if st, err := f.Stat(); err == nil && st.Size() > off {
		if err := f.Truncate(off); err != nil {
			return nil, 0, err
		}
	}
	return recs, off, nil
}

func readAcks(path string) map[uint64]bool {
	b, _ := os.ReadFile(path)
	acks := make(map[uint64]bool, len(b)/8)
	for i := 0; i+8 <= len(b); i += 8 {
		acks[binary.LittleEndian.Uint64(b[i:])] = true
	}
	return acks
}

// newSegment starts the active segment at the next seq. l.mu is held (or
// the Log is not shared yet).
func (l *Log) newSegment() error {
	first := l.next
	f, err := os.OpenFile(l.segPath(first), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	ack, err := os.OpenFile(l.ackPath(first), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		f.Close()
		return err
	}
	l.segs = append(l.segs, &segment{first: first, last: first - 1, released: map[uint64]bool{}, f: f, ack: ack})
	return syncDir(l.dir)
}

// Append writes records and returns their seqs. They reach the disk at the
// next sync (within SyncInterval). It returns ErrFull, writing nothing,
// when they would take the spool past MaxBytes.
func (l *Log) Append(data [][]byte) ([]uint64, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil, errors.New("spool: closed")
	}
	var need int64
	for _, d := range data {
		need += headerLen + int64(len(d))
	}
	if l.size+need > l.opt.MaxBytes {
		return nil, ErrFull
	}
	seqs := make([]uint64, len(data))
	buf := l.writeBuf[:0]
	for i, d := range data {
		seq := l.next
		l.next++
		seqs[i] = seq
		var h [headerLen]byte
		binary.LittleEndian.PutUint32(h[0:], uint32(len(d)))
		binary.LittleEndian.PutUint64(h[8:], seq)
		binary.LittleEndian.PutUint32(h[4:], crc32.Update(crc32.Checksum(h[8:16], crcTable), crcTable, d))
		buf = append(buf, h[:]...)
		buf = append(buf, d...)
	}
	l.writeBuf = buf
	s := l.segs[len(l.segs)-1]
	if _, err := s.f.Write(buf); err != nil {
		return nil, err
	}
	s.last = seqs[len(seqs)-1]
	s.live += len(seqs)
	s.size += int64(len(buf))
	l.size += int64(len(buf))
	l.dirty[s.f] = true
	if s.size >= l.opt.SegmentBytes {
		if err := l.newSegment(); err != nil {
			return seqs, err
		}
	}
	return seqs, nil
}

// Release marks records delivered (or dead-lettered): they are not
// returned by a later Open, and a segment with none left is deleted. One
// write per segment, however many seqs.
func (l *Log) Release(seqs ...uint64) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	pending := map[*segment][]byte{}
	for _, seq := range seqs {
		i, found := slices.BinarySearchFunc(l.segs, seq, func(s *segment, seq uint64) int {
			switch {
			case seq < s.first:
				return 1
			case seq > s.last:
				return -1
			}
			return 0
		})
		if !found || l.segs[i].released[seq] {
			continue
		}
		s := l.segs[i]
		s.released[seq] = true
		s.live--
		pending[s] = binary.LittleEndian.AppendUint64(pending[s], seq)
	}
	var first error
	for s, b := range pending {
		if _, err := s.ack.Write(b); err != nil && first == nil {
			first = err
		}
		l.dirty[s.ack] = true
	}
	for i := len(l.segs) - 2; i >= 0; i-- { // never the active one
		if l.segs[i].live == 0 {
			l.drop(i)
		}
	}
	return first
}

// drop deletes segment i, whose records are all released.
func (l *Log) drop(i int) {
	s := l.segs[i]
	if s.f != nil {
		delete(l.dirty, s.f)
		s.f.Close()
	}
	delete(l.dirty, s.ack)
	s.ack.Close()
	os.Remove(l.segPath(s.first))
	os.Remove(l.ackPath(s.first))
	l.size -= s.size
	l.segs = slices.Delete(l.segs, i, i+1)
}

// DeadLetter appends a record refused for good, with the reason, to
// deadletter.jsonl, and releases it.
func (l *Log) DeadLetter(seq uint64, data []byte, reason string) error {
	line, err := json.Marshal(struct {
		Seq    uint64          `json:"seq"`
		Time   time.Time       `json:"time"`
		Reason string          `json:"reason"`
		Record json.RawMessage `json:"record"`
	}{seq, time.Now().UTC(), reason, data})
	if err != nil {
		return err
	}
	l.mu.Lock()
	if l.dead == nil {
		l.dead, err = os.OpenFile(filepath.Join(l.dir, "deadletter.jsonl"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	}
	if err == nil {
		_, err = l.dead.Write(append(line, '\n'))
		l.dirty[l.dead] = true
	}
	l.mu.Unlock()
	if err != nil {
		return err
	}
	return l.Release(seq)
}

// Size is how many bytes the spool's segments hold.
func (l *Log) Size() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.size
}

// Sync writes everything appended or released so far to disk.
func (l *Log) Sync() error {
	l.mu.Lock()
	files := make([]*os.File, 0, len(l.dirty))
	for f := range l.dirty {
		files = append(files, f)
	}
	clear(l.dirty)
	l.mu.Unlock()
	var first error
	for _, f := range files {
		if err := f.Sync(); err != nil && first == nil && !errors.Is(err, os.ErrClosed) {
			first = err
		}
	}
	return first
}

// syncLoop is the group commit: one fsync per dirty file per interval,
// never one per record.
func (l *Log) syncLoop() {
	defer close(l.stopped)
	t := time.NewTicker(l.opt.SyncInterval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			if err := l.Sync(); err != nil {
				l.mu.Lock()
				l.syncErr = err
				l.mu.Unlock()
			}
		case <-l.stop:
			return
		}
	}
}

// Err returns the last sync error, if any.
func (l *Log) Err() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.syncErr
}

// Close syncs, closes the files and releases the directory's lock.
func (l *Log) Close() error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil
	}
	l.closed = true
	l.mu.Unlock()
	close(l.stop)
	<-l.stopped
	err := l.Sync()
	l.mu.Lock()
	for _, s := range l.segs {
		if s.f != nil {
			s.f.Close()
		}
		s.ack.Close()
	}
	if l.dead != nil {
		l.dead.Close()
	}
	// An active segment with nothing in it is not worth keeping.
	if s := l.segs[len(l.segs)-1]; s.live == 0 {
		os.Remove(l.segPath(s.first))
		os.Remove(l.ackPath(s.first))
	}
	l.mu.Unlock()
	unlockDir(l.lock)
	return err
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
