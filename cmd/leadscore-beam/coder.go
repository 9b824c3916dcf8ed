package main

import (
	"encoding/binary"
	"errors"
	"math"

	"leadscore/features"
)

// A record travels between workers once per event, so it has a compact
// coder: the type's length and bytes, the time and masks as varints, the
// value's bits, and a has-value flag.
func encodeRecord(r features.Record) []byte {
	b := make([]byte, 0, 24+len(r.Type))
	b = binary.AppendUvarint(b, uint64(len(r.Type)))
	b = append(b, r.Type...)
	b = binary.AppendVarint(b, r.TS)
	b = binary.LittleEndian.AppendUint64(b, math.Float64bits(r.Value))
	flag := byte(0)
	if r.HasValue {
		flag = 1
	}
	b = append(b, flag)
	b = binary.AppendUvarint(b, r.Derived)
	b = binary.AppendUvarint(b, r.Rules)
	return binary.AppendUvarint(b, r.Fingerprint)
}

var errRecord = errors.New("leadscore-beam: a record that does not decode")

func decodeRecord(b []byte) (features.Record, error) {
	var r features.Record
	n, k := binary.Uvarint(b)
	if k <= 0 || uint64(len(b)-k) < n {
		return r, errRecord
	}
	r.Type, b = string(b[k:k+int(n)]), b[k+int(n):]
	if r.TS, k = binary.Varint(b); k <= 0 || len(b) < k+9 {
		return r, errRecord
	}
	b = b[k:]
	r.Value, r.HasValue, b = math.Float64frombits(binary.LittleEndian.Uint64(b)), b[8] == 1, b[9:]
	for _, m := range []*uint64{&r.Derived, &r.Rules, &r.Fingerprint} {
		if *m, k = binary.Uvarint(b); k <= 0 {
			return r, errRecord
		}
		b = b[k:]
	}
	if len(b) != 0 {
		return r, errRecord
	}
	return r, nil
}
