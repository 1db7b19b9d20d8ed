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
    static func assign(_ fragments: inout [Lance_Table_DataFragment], manifest m: inout Lance_Table_Manifest,
                       version: UInt64) {
        var next = m.nextRowID
        for k in fragments.indices {
            let n = fragments[k].physicalRows
            fragments[k].inlineRowIds = rowIdRange(next, next + n)
            let versions = versionRun(rows: n, version: version)
            fragments[k].inlineLastUpdatedAtVersions = versions
            fragments[k].inlineCreatedAtVersions = versions
            next += n
        }
        m.nextRowID = next
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

    static func varint(_ v: UInt64, _ out: inout [UInt8]) {
        var v = v
        while v >= 0x80 {
            out.append(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        out.append(UInt8(v))
    }
}
