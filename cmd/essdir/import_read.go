package main

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The import reads its file one record at a time, so that its memory is a
// few batches whatever the file's size (a national file has a million
// lines): a record is read, turned into the JSON object of a structure,
// decoded with its batch and dropped once the batch is written.

// rawLine is one record of the file as a JSON object, or why it is not one.
type rawLine struct {
	line int
	json []byte
	err  error
}

// recordReader reads the records of an import file in order.
type recordReader interface {
	// next gives the next record; ok is false at the end of the input. An
	// error is the input's (a record that cannot be read is a rawLine with
	// its err, and reading goes on).
	next() (r rawLine, ok bool, err error)
	// offset is how many bytes of the input were consumed (the progress).
	offset() int64
}

// readBufferSize is the read buffer of an import: a record longer than it
// is still read whole (up to maxLineBytes for NDJSON).
const readBufferSize = 64 << 10

// newRecordReader reads file's records from r as CSV or NDJSON: by the
// name's extension, else by the first character that is not white space.
// An unknown CSV column is an error before any record is read.
func newRecordReader(file string, r io.Reader) (recordReader, error) {
	br := bufio.NewReaderSize(r, readBufferSize)
	switch ext := strings.ToLower(filepath.Ext(file)); {
	case ext == ".ndjson" || ext == ".jsonl" || (ext != ".csv" && startsWithBrace(br)):
		return &ndjsonReader{r: br}, nil
	default:
		c, err := newCSVReader(br)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		return c, nil
	}
}

// startsWithBrace says whether the input's first character other than
// white space is "{", reading no more than it needs (the input may be a
// pipe whose writer waits for the import).
func startsWithBrace(br *bufio.Reader) bool {
	for n := 1; ; n = br.Buffered() + 1 {
		_, err := br.Peek(min(n, br.Size())) // waits for n bytes; may read more
		p, _ := br.Peek(br.Buffered())
		if rest := bytes.TrimLeftFunc(p, unicode.IsSpace); len(rest) > 0 && utf8.FullRune(rest) {
			return rest[0] == '{'
		}
		if err != nil || len(p) == br.Size() {
			return false
		}
	}
}

// peekLine gives the input's first line without consuming it, reading no
// further than its end (or the read buffer's size).
func peekLine(br *bufio.Reader) []byte {
	for n := 1; ; n = br.Buffered() + 1 {
		_, err := br.Peek(min(n, br.Size())) // waits for n bytes; may read more
		p, _ := br.Peek(br.Buffered())
		if i := bytes.IndexByte(p, '\n'); i >= 0 {
			return p[:i]
		}
		if err != nil || len(p) == br.Size() {
			return p
		}
	}
}

// maxLineBytes bounds one NDJSON line (a structure is a few kB): a longer
// one is rejected, and the lines after it are still read.
const maxLineBytes = 16 << 20

// ndjsonReader reads one structure a line.
type ndjsonReader struct {
	r    *bufio.Reader
	line int
	off  int64
	buf  []byte
}

func (d *ndjsonReader) offset() int64 { return d.off }

func (d *ndjsonReader) next() (rawLine, bool, error) {
	for {
		line, long, more, err := d.readLine()
		if err != nil || !more {
			return rawLine{}, false, err
		}
		d.line++
		switch line = bytes.TrimSpace(line); {
		case long:
			return rawLine{line: d.line, err: fmt.Errorf("the line is longer than %d MiB", maxLineBytes>>20)}, true, nil
		case len(line) > 0:
			return rawLine{line: d.line, json: bytes.Clone(line)}, true, nil
		}
	}
}

// readLine reads the next line, its end excluded, into d.buf; a line
// longer than maxLineBytes (leading white space aside) is read to its end
// and dropped (long). more is false at the end of the input.
func (d *ndjsonReader) readLine() (line []byte, long, more bool, err error) {
	if cap(d.buf) > readBufferSize { // after a long line, give its memory back
		d.buf = nil
	}
	d.buf = d.buf[:0]
	read := 0
	for {
		chunk, err := d.r.ReadSlice('\n')
		read += len(chunk)
		d.off += int64(len(chunk))
		if !long {
			if len(d.buf) == 0 {
				chunk = bytes.TrimLeftFunc(chunk, unicode.IsSpace)
			}
			if len(d.buf)+len(bytes.TrimSuffix(chunk, []byte("\n"))) > maxLineBytes {
				long, d.buf = true, nil
			} else {
				d.buf = append(d.buf, chunk...)
			}
		}
		switch {
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF):
			return d.buf, long, read > 0, nil // a last line without its end
		case err != nil:
			return nil, false, false, err
		}
		return d.buf, long, true, nil
	}
}

// csvReader reads one structure a CSV record, its columns named by the
// header (csvColumns).
type csvReader struct {
	r    *csv.Reader
	cols []string
	skip int64 // a byte-order mark skipped before the reader
}

var byteOrderMark = []byte("\uFEFF")

func newCSVReader(br *bufio.Reader) (*csvReader, error) {
	c := &csvReader{}
	if p, _ := br.Peek(len(byteOrderMark)); bytes.Equal(p, byteOrderMark) { // a spreadsheet's
		if _, err := br.Discard(len(p)); err == nil {
			c.skip = int64(len(p))
		}
	}
	header := peekLine(br)
	c.r = csv.NewReader(br) // reads from br itself (a *bufio.Reader is not wrapped again)
	if bytes.Count(header, []byte(";")) > bytes.Count(header, []byte(",")) {
		c.r.Comma = ';'
	}
	c.r.FieldsPerRecord = -1
	c.r.ReuseRecord = true
	cols, err := c.r.Read()
	if err != nil {
		return nil, fmt.Errorf("no CSV header: %w", err)
	}
	c.cols = slices.Clone(cols)
	for i, col := range c.cols {
		c.cols[i] = strings.ToLower(strings.TrimSpace(col))
		if !csvColumns[c.cols[i]] {
			return nil, fmt.Errorf("unknown column %q (columns: the structure's fields, see essdir import structures --help)", col)
		}
	}
	return c, nil
}

func (c *csvReader) offset() int64 { return c.skip + c.r.InputOffset() }

// next reads a record; one that is not well-formed CSV (a stray quote) is
// a rejected line, and reading goes on after it.
func (c *csvReader) next() (rawLine, bool, error) {
	rec, err := c.r.Read()
	if errors.Is(err, io.EOF) {
		return rawLine{}, false, nil
	}
	if err != nil {
		var pe *csv.ParseError
		if !errors.As(err, &pe) {
			return rawLine{}, false, err
		}
		reason := pe.Err.Error()
		if pe.Line > pe.StartLine { // an open quote ran over the next lines
			reason += fmt.Sprintf(" (the record runs from line %d to line %d)", pe.StartLine, pe.Line)
		}
		return rawLine{line: pe.StartLine, err: errors.New(reason)}, true, nil
	}
	line, _ := c.r.FieldPos(0)
	obj, err := csvObject(c.cols, rec)
	return rawLine{line: line, json: obj, err: err}, true, nil
}

// csvObject maps one CSV record to a structure's JSON object.
func csvObject(cols, rec []string) ([]byte, error) {
	if len(rec) != len(cols) {
		return nil, fmt.Errorf("has %d cells, the header %d", len(rec), len(cols))
	}
	obj := map[string]any{}
	address := map[string]any{}
	location := map[string]any{}
	for i, c := range cols {
		v := strings.TrimSpace(rec[i])
		if v == "" {
			continue
		}
		switch c {
		case "sectors", "labels", "networks":
			var list []string
			for _, x := range strings.Split(v, "|") {
				if x = strings.TrimSpace(x); x != "" {
					list = append(list, x)
				}
			}
			obj[c] = list
		case "street", "postal_code", "city", "insee_code":
			address[c] = v
		case "lat", "lon":
			f, err := strconv.ParseFloat(strings.Replace(v, ",", ".", 1), 64)
			if err != nil {
				return nil, fmt.Errorf("location.%s: must be a number", c)
			}
			location[c] = f
		default:
			obj[c] = v
		}
	}
	if len(address) > 0 {
		obj["address"] = address
	}
	if len(location) > 0 {
		obj["location"] = location
	}
	return json.Marshal(obj)
}

// firstLines remembers, for each external_id read, the line that gave it,
// so that a repeat is refused however far apart the two lines are. It
// keeps a 64-bit hash of the key (12 bytes a line and the map's overhead,
// ~30 MB for a million lines) rather than the key itself: two distinct
// keys of a million-line file share a hash with a probability of ~3e-8
// (the hash is seeded anew in each run, so a rerun would not repeat it).
type firstLines struct {
	seed  maphash.Seed
	lines map[uint64]uint32
}

func newFirstLines() *firstLines {
	return &firstLines{seed: maphash.MakeSeed(), lines: map[uint64]uint32{}}
}

// first gives the line that had key first, if any.
func (f *firstLines) first(key string) (int, bool) {
	l, ok := f.lines[maphash.String(f.seed, key)]
	return int(l), ok
}

// add records key at line, or gives the line that had it first.
func (f *firstLines) add(key string, line int) (first int, repeat bool) {
	h := maphash.String(f.seed, key)
	if l, ok := f.lines[h]; ok {
		return int(l), true
	}
	f.lines[h] = uint32(line)
	return 0, false
}
