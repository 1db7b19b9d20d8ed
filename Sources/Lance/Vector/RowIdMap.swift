import Foundation
import LanceCore
import Synchronization

extension Dataset {
    /// Row id → row address maps of recent versions of stable-row-id datasets (a version is immutable).
    static let rowIdMapCache = Mutex<[String: [UInt64: UInt64]]>([:])

    /// For a dataset with stable row ids: the address of every live row, by row id (from the fragments' row id
    /// sequences). Vector indexes store row ids; this maps their hits to rows a take can read.
    func rowIdAddressMap() async throws -> [UInt64: UInt64] {
        let key = "\(store.root)|\(manifestPath)|\(version)"
        if let hit = Dataset.rowIdMapCache.withLock({ $0[key] }) { return hit }
        var map: [UInt64: UInt64] = [:]
        for f in fragments {
            let dv = try await deletionVector(f)
            guard let ids = try await rowIds(f, deletions: dv) else { continue }
            map.reserveCapacity(map.count + ids.count)
            for (p, id) in ids.enumerated() where id != UInt64.max && !(dv?.isDeleted(p) ?? false) {
                map[id] = f.id << 32 | UInt64(p)
            }
        }
        Dataset.rowIdMapCache.withLock { cache in
            if cache.count >= 4 { cache.removeAll() }
            cache[key] = map
        }
        return map
    }
}
