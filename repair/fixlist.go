package repair

// fixList is the parser's append-only list of fixes, kept in chunks so
// that growing it never copies what is already recorded: a large broken
// document can hold a fix every few bytes.
type fixList struct {
	chunks [][]Fix
	n      int
}

const (
	fixChunkBits = 7
	fixChunk     = 1 << fixChunkBits
)

func (l *fixList) add(f Fix) {
	if l.n&(fixChunk-1) == 0 && l.n>>fixChunkBits == len(l.chunks) {
		l.chunks = append(l.chunks, make([]Fix, 0, fixChunk))
	}
	c := &l.chunks[l.n>>fixChunkBits]
	*c = append(*c, f)
	l.n++
}

func (l *fixList) len() int { return l.n }

func (l *fixList) at(i int) *Fix { return &l.chunks[i>>fixChunkBits][i&(fixChunk-1)] }

// truncate drops the fixes from n on.
func (l *fixList) truncate(n int) {
	if n >= l.n {
		return
	}
	l.n = n
	for i := range l.chunks {
		switch lo := i << fixChunkBits; {
		case lo >= n:
			l.chunks[i] = l.chunks[i][:0]
		case lo+fixChunk > n:
			l.chunks[i] = l.chunks[i][:n-lo]
		}
	}
}

// appendRange appends the fixes from..to-1 to dst.
func (l *fixList) appendRange(dst []Fix, from, to int) []Fix {
	for i := from; i < to; {
		c := l.chunks[i>>fixChunkBits]
		j := i & (fixChunk - 1)
		k := min(len(c), j+(to-i))
		dst = append(dst, c[j:k]...)
		i += k - j
	}
	return dst
}

// maxPooledChunks bounds the chunks a pooled list keeps.
const maxPooledChunks = 64

// clear empties the list, dropping what its fixes refer to, and keeps a
// few chunks for reuse.
func (l *fixList) clear() {
	for i := range l.chunks {
		clear(l.chunks[i])
		l.chunks[i] = l.chunks[i][:0]
	}
	if len(l.chunks) > maxPooledChunks {
		l.chunks = l.chunks[:maxPooledChunks]
	}
	l.n = 0
}
