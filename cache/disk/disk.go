// Package disk is a cache.Store in one local file, for the CLI and the
// library: a bbolt database (go.etcd.io/bbolt), chosen because it is pure
// Go (no cgo, unlike SQLite's drivers), one file, with ACID transactions
// and a crash-safe format, well kept by etcd, and a key-value store is all
// a cache needs.
package disk

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"github.com/reask/reask/cache"
	"github.com/reask/reask/clock"
)

// Config configures a Store. Its zero value is ready to use.
type Config struct {
	// TTL is how long a result is served after it was stored. Default
	// cache.DefaultTTL (30 days); negative: forever.
	TTL time.Duration
	// MaxBytes bounds the stored values in total; past it the oldest are
	// removed. Default cache.DefaultMaxBytes (256 MiB); negative: no bound.
	MaxBytes int64
	// MaxEntryBytes bounds one value; a larger one is not stored. Default
	// cache.DefaultMaxEntryBytes (1 MiB).
	MaxEntryBytes int
	// OpenTimeout bounds the wait for the file's lock when another process
	// holds it (bbolt allows one writer process). Default 1 second; past
	// it Open fails, and the caller goes on without a cache.
	OpenTimeout time.Duration
	// Clock dates entries. Default: the system clock.
	Clock clock.Clock
}

// Store is a cache.Store in one local file, a bbolt database: pure Go, one file,
// ACID transactions, so that a process killed mid-write leaves the cache
// readable. One process at a time holds it open (the others wait up to
// Config.OpenTimeout). A Store is safe for concurrent use.
type Store struct {
	db  *bolt.DB
	cfg Config
}

var _ cache.Store = (*Store)(nil)

var (
	bucketValues = []byte("values") // key → stored-at (8 bytes, unix ns) + value
	bucketAge    = []byte("age")    // stored-at (8 bytes) + key → nothing: oldest first
	bucketMeta   = []byte("meta")   // "bytes" → the values' total size
	metaBytes    = []byte("bytes")
)

// FileName is the name of the cache file inside a cache directory.
const FileName = "cache.db"

// Open opens (creating it and its directory) the cache file at path. Its
// errors say what failed and where.
func Open(path string, cfg Config) (*Store, error) {
	if cfg.TTL == 0 {
		cfg.TTL = cache.DefaultTTL
	}
	if cfg.MaxBytes == 0 {
		cfg.MaxBytes = cache.DefaultMaxBytes
	}
	if cfg.MaxEntryBytes <= 0 {
		cfg.MaxEntryBytes = cache.DefaultMaxEntryBytes
	}
	if cfg.OpenTimeout <= 0 {
		cfg.OpenTimeout = time.Second
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.System()
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("cache: directory of %s: %w", path, err)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: cfg.OpenTimeout})
	if err != nil {
		if errors.Is(err, bolterrors.ErrTimeout) {
			return nil, fmt.Errorf("cache: %s is held by another process (waited %s): %w", path, cfg.OpenTimeout, err)
		}
		return nil, fmt.Errorf("cache: open %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketValues, bucketAge, bucketMeta} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("cache: prepare %s: %w", path, err)
	}
	return &Store{db: db, cfg: cfg}, nil
}

// Close closes the file.
func (f *Store) Close() error { return f.db.Close() }

// Get implements cache.Store.
func (f *Store) Get(ctx context.Context, key string) ([]byte, bool, error) {
	if err := ctx.Err(); err != nil {
		return nil, false, err
	}
	var val []byte
	err := f.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketValues).Get([]byte(key))
		if len(v) < 8 {
			return nil
		}
		if f.expired(v[:8]) {
			return nil
		}
		val = bytes.Clone(v[8:])
		return nil
	})
	if err != nil {
		return nil, false, fmt.Errorf("cache: read %s: %w", f.db.Path(), err)
	}
	return val, val != nil, nil
}

func (f *Store) expired(stamp []byte) bool {
	if f.cfg.TTL < 0 {
		return false
	}
	at := time.Unix(0, int64(binary.BigEndian.Uint64(stamp)))
	return f.cfg.Clock.Now().Sub(at) >= f.cfg.TTL
}

// Put implements cache.Store: it also removes the expired entries and, past
// MaxBytes, the oldest.
func (f *Store) Put(ctx context.Context, key string, val []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if len(val) > f.cfg.MaxEntryBytes {
		return nil
	}
	var stamp [8]byte
	binary.BigEndian.PutUint64(stamp[:], uint64(f.cfg.Clock.Now().UnixNano()))
	err := f.db.Update(func(tx *bolt.Tx) error {
		values, age, meta := tx.Bucket(bucketValues), tx.Bucket(bucketAge), tx.Bucket(bucketMeta)
		total := int64(0)
		if m := meta.Get(metaBytes); len(m) == 8 {
			total = int64(binary.BigEndian.Uint64(m))
		}
		k := []byte(key)
		if old := values.Get(k); len(old) >= 8 {
			total -= int64(len(old) - 8)
			if err := age.Delete(append(bytes.Clone(old[:8]), k...)); err != nil {
				return err
			}
		}
		if err := values.Put(k, append(stamp[:], val...)); err != nil {
			return err
		}
		if err := age.Put(append(stamp[:], k...), nil); err != nil {
			return err
		}
		total += int64(len(val))
		// Oldest first: drop what has expired, then what is over the bound.
		c := age.Cursor()
		for ak, _ := c.First(); ak != nil; ak, _ = c.First() {
			over := f.cfg.MaxBytes > 0 && total > f.cfg.MaxBytes
			if !over && !f.expired(ak[:8]) {
				break
			}
			vk := ak[8:]
			if v := values.Get(vk); len(v) >= 8 {
				total -= int64(len(v) - 8)
			}
			if err := values.Delete(vk); err != nil {
				return err
			}
			if err := c.Delete(); err != nil {
				return err
			}
		}
		var m [8]byte
		binary.BigEndian.PutUint64(m[:], uint64(max(total, 0)))
		return meta.Put(metaBytes, m[:])
	})
	if err != nil {
		return fmt.Errorf("cache: write %s: %w", f.db.Path(), err)
	}
	return nil
}

// Len returns the number of entries held, expired ones included until a
// Put removes them.
func (f *Store) Len() int {
	n := 0
	_ = f.db.View(func(tx *bolt.Tx) error { n = tx.Bucket(bucketValues).Stats().KeyN; return nil })
	return n
}
