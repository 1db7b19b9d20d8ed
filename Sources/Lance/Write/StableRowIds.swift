import Foundation
import LanceProto
import SwiftProtobuf

/// Row ids and row version sequences of new fragments in datasets with stable row ids.
///
/// New rows take consecutive ids from the manifest's `next_row_id`; each fragment stores its
/// ids as one `Range` segment and its created-at / last-updated-at versions as one run of the
/// committing version, inline, as pylance 14 writes them. Ids are assigned when the manifest is
/// built, so a commit rebased over a concurrent append takes ids after the other writer's.
enum StableRowIds {
    /// Gives the rows of `fragments` (in order) the ids in `kept` first (rows rewritten by an
    /// update or merge insert keep their ids), then fresh ids from `next_row_id`.
    /// `keptCreatedAt` holds the creation version of each kept row when known (nil: `version`).
    static func assign(_ fragments: inout [Lance_Table_DataFragment], manifest m: inout Lance_Table_Manifest,
                       version: UInt64, keeping kept: [UInt64] = [], keptCreatedAt: [UInt64?] = []) {
        var next = m.nextRowID
        var used = 0
        for k in fragments.indices {
            let n = fragments[k].physicalRows
            let reused = min(Int(n), kept.count - used)
            let versions = versionRun(rows: n, version: version)
            fragments[k].inlineLastUpdatedAtVersions = versions
            if reused == 0 {
                fragments[k].inlineRowIds = rowIdRange(next, next + n)
                fragments[k].inlineCreatedAtVersions = versions
                next += n
            } else {
                var ids = Array(kept[used ..< used + reused])
                var created = (used ..< used + reused).map { $0 < keptCreatedAt.count ? keptCreatedAt[$0] ?? version : version }
                used += reused
                ids.reserveCapacity(Int(n))
                while ids.count < Int(n) {
                    ids.append(next)
                    created.append(version)
                    next += 1
                }
                fragments[k].inlineRowIds = rowIdSequence(ids)
                fragments[k].inlineCreatedAtVersions = versionRuns(created)
            }
        }
        m.nextRowID = next
    }

    /// A serialized `RowIdSequence` of `ids` in this order: one range when they are consecutive and
    /// ascending, else one array segment (`sorted_array` when ascending) of 16-, 32- or 64-bit
    /// values, the narrow ones as offsets from the smallest id.
    static func rowIdSequence(_ ids: [UInt64]) -> Data {
        guard let lo = ids.min(), let hi = ids.max() else { return rowIdRange(0, 0) }
        var ascending = true
        var consecutive = true
        for i in ids.indices.dropFirst() {
            if ids[i] <= ids[i - 1] { ascending = false }
            if ids[i] != ids[i - 1] &+ 1 { consecutive = false }
        }
        if consecutive { return rowIdRange(lo, hi + 1) }
        var a = Lance_Table_EncodedU64Array()
        func bytes<T: FixedWidthInteger>(_: T.Type, minus base: UInt64) -> Data {
            var d = Data(capacity: ids.count * MemoryLayout<T>.size)
            for v in ids { withUnsafeBytes(of: T(truncatingIfNeeded: v - base).littleEndian) { d.append(contentsOf: $0) } }
            return d
        }
        if hi - lo <= UInt64(UInt16.max) {
            var x = Lance_Table_EncodedU64Array.U16Array()
            x.base = lo
            x.offsets = bytes(UInt16.self, minus: lo)
            a.array = .u16Array(x)
        } else if hi - lo <= UInt64(UInt32.max) {
            var x = Lance_Table_EncodedU64Array.U32Array()
            x.base = lo
            x.offsets = bytes(UInt32.self, minus: lo)
            a.array = .u32Array(x)
        } else {
            var x = Lance_Table_EncodedU64Array.U64Array()
            x.values = bytes(UInt64.self, minus: 0)
            a.array = .u64Array(x)
        }
        var seg = Lance_Table_U64Segment()
        seg.segment = ascending ? .sortedArray(a) : .array(a)
        var seq = Lance_Table_RowIdSequence()
        seq.segments = [seg]
        return (try? seq.serializedData()) ?? Data()
    }

    static func segment(_ start: UInt64, _ end: UInt64) -> Lance_Table_U64Segment {
        var r = Lance_Table_U64Segment.Range()
        r.start = start
        r.end = end
        var s = Lance_Table_U64Segment()
        s.segment = .range(r)
        return s
    }

    /// A serialized `RowIdSequence` of the ids `start..<end`.
    static func rowIdRange(_ start: UInt64, _ end: UInt64) -> Data {
        var seq = Lance_Table_RowIdSequence()
        seq.segments = [segment(start, end)]
        return (try? seq.serializedData()) ?? Data()
    }

    /// A serialized `RowDatasetVersionSequence`: one run over `rows` rows at `version`
    /// (`runs { span: U64Segment, version }`, encoded by hand: our protos do not name it).
    static func versionRun(rows: UInt64, version: UInt64) -> Data {
        let span = (try? segment(0, rows).serializedBytes() as [UInt8]) ?? []
        var run: [UInt8] = [0x0A]
        varint(UInt64(span.count), &run)
        run += span
        run.append(0x10)
        varint(version, &run)
        var seq: [UInt8] = [0x0A]
        varint(UInt64(run.count), &seq)
        seq += run
        return Data(seq)
    }

    /// A serialized `RowDatasetVersionSequence` with one run per stretch of rows of equal version.
    static func versionRuns(_ perRow: [UInt64]) -> Data {
        var seq: [UInt8] = []
        var i = 0
        while i < perRow.count {
            var j = i + 1
            while j < perRow.count && perRow[j] == perRow[i] { j += 1 }
            let span = (try? segment(UInt64(i), UInt64(j)).serializedBytes() as [UInt8]) ?? []
            var run: [UInt8] = [0x0A]
            varint(UInt64(span.count), &run)
            run += span
            run.append(0x10)
            varint(perRow[i], &run)
            seq.append(0x0A)
            varint(UInt64(run.count), &seq)
            seq += run
            i = j
        }
        return Data(seq)
    }

    /// The version of each of `rows` rows from a serialized `RowDatasetVersionSequence`, or nil
    /// when the bytes do not describe exactly that many rows.
    static func decodeVersionRuns(_ data: Data, rows: Int) -> [UInt64]? {
        let b = [UInt8](data)
        var out = [UInt64?](repeating: nil, count: rows)
        var p = 0
        func readVarint(_ bytes: [UInt8], _ p: inout Int, end: Int) -> UInt64? {
            var v: UInt64 = 0
            var shift: UInt64 = 0
            while p < end && shift < 64 {
                let x = bytes[p]
                p += 1
                v |= UInt64(x & 0x7F) << shift
                if x & 0x80 == 0 { return v }
                shift += 7
            }
            return nil
        }
        while p < b.count {
            guard b[p] == 0x0A else { return nil }
            p += 1
            guard let len = readVarint(b, &p, end: b.count), len <= UInt64(b.count - p) else { return nil }
            let end = p + Int(len)
            var spanBytes: [UInt8]?
            var version: UInt64?
            while p < end {
                let tag = b[p]
                p += 1
                if tag == 0x0A {
                    guard let l = readVarint(b, &p, end: end), l <= UInt64(end - p) else { return nil }
                    spanBytes = Array(b[p ..< p + Int(l)])
                    p += Int(l)
                } else if tag == 0x10 {
                    guard let v = readVarint(b, &p, end: end) else { return nil }
                    version = v
                } else {
                    return nil
                }
            }
            guard let spanBytes, let version else { return nil }
            // The span is a U64Segment: read it as a one-segment RowIdSequence.
            var wrapped: [UInt8] = [0x0A]
            varint(UInt64(spanBytes.count), &wrapped)
            wrapped += spanBytes
            guard let positions = try? RowIdSequence.decode(wrapped, path: "", limit: rows) else { return nil }
            for q in positions {
                guard q < UInt64(rows) else { return nil }
                out[Int(q)] = version
            }
        }
        guard !out.contains(nil) else { return nil }
        return out.map { $0! }
    }

    static func varint(_ v: UInt64, _ out: inout [UInt8]) {
        var v = v
        while v >= 0x80 {
            out.append(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        out.append(UInt8(v))
    }
}
