import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Process-wide memory for the vectors that exact search scans again and again.
///
/// Exact search reads every vector of the column for every query. From a file, even one in the
/// operating system's page cache, that is a copy out of the kernel per query (~70 % of the CPU time of
/// a scan at memory speed); from this cache it is a read of memory the process owns. Data files are
/// immutable (a new version writes new files under new names), so a cached unit — the rows
/// `first ..< first + count` of one column of one data file — never goes stale; deletions and filters
/// are applied on top, as for rows read from the file.
///
/// Policy: a unit is admitted the second time a search reads it (a single search does not fill
/// memory for nothing), as long as the budget has room; nothing is evicted (a scan larger than the
/// budget keeps the units it holds instead of thrashing). `clear()` drops everything; searches under
/// way keep the memory they use until they finish. The default budget is 1/8 of physical memory, at
/// most 1 GiB; the environment variable `LANCELET_VECTOR_CACHE_BYTES` overrides it (0 turns it off).
public final class VectorCache: Sendable {
    /// The cache exact search uses.
    public static let shared = VectorCache(budgetBytes: VectorCache.defaultBudget())

    /// One unit: rows of one column of one data file.
    struct Key: Hashable, Sendable {
        let file: String
        let field: Int32
        let first: Int
        let count: Int
    }

    /// A piece of a slab holding one unit's bytes. Keeps its slab alive.
    struct Entry: @unchecked Sendable {
        let slab: Slab
        let offset: Int
        let byteCount: Int
        let generation: Int

        var bytes: UnsafeMutableRawBufferPointer {
            UnsafeMutableRawBufferPointer(start: slab.base + offset, count: byteCount)
        }
    }

    /// Memory carved into entries; freed when the last entry using it goes away.
    final class Slab: @unchecked Sendable {
        let base: UnsafeMutableRawPointer
        let size: Int

        init(size: Int) {
            self.size = size
            // 2 MiB alignment lets Linux back the slab with huge pages (fewer TLB misses while scanning).
            base = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 2 << 20)
            #if os(Linux)
            _ = madvise(base, size, 14)  // MADV_HUGEPAGE: a hint; ignored where unsupported
            #endif
        }

        deinit { base.deallocate() }
    }

    struct State {
        var budget: Int
        var used = 0
        var generation = 0
        var entries: [Key: Entry] = [:]
        var seen: Set<Key> = []
        var filling: Set<Key> = []
        var slab: Slab?
        var slabUsed = 0
    }

    private let state: Mutex<State>

    /// Slabs are carved in pieces of up to this size.
    static let slabSize = 64 << 20

    public init(budgetBytes: Int) {
        state = Mutex(State(budget: max(0, budgetBytes)))
    }

    static func defaultBudget() -> Int {
        if let text = ProcessInfo.processInfo.environment["LANCELET_VECTOR_CACHE_BYTES"], let n = Int(text) {
            return max(0, n)
        }
        let eighth = Int(clamping: ProcessInfo.processInfo.physicalMemory / 8)
        return min(eighth, 1 << 30)
    }

    /// The most bytes the cache holds.
    public var budgetBytes: Int { state.withLock { $0.budget } }

    /// Bytes of vectors held.
    public var usedBytes: Int { state.withLock { $0.used } }

    /// Units held.
    public var unitCount: Int { state.withLock { $0.entries.count } }

    /// Changes the budget; a budget below what is held clears the cache.
    public func setBudget(_ bytes: Int) {
        let clear = state.withLock { s -> Bool in
            s.budget = max(0, bytes)
            return s.used > s.budget
        }
        if clear { self.clear() }
    }

    /// Drops every unit (memory in use by a running search is freed when it finishes).
    public func clear() {
        state.withLock { s in
            s.entries.removeAll()
            s.seen.removeAll()
            s.filling.removeAll()
            s.slab = nil
            s.slabUsed = 0
            s.used = 0
            s.generation += 1
        }
    }

    /// The unit's bytes, when held.
    func lookup(_ key: Key) -> Entry? {
        state.withLock { $0.entries[key] }
    }

    /// Memory to fill with the unit's `byteCount` bytes and then ``publish(_:_:)``, or nil when the
    /// unit is not admitted (first sight, no room, or another search is filling it).
    func reserve(_ key: Key, byteCount: Int) -> Entry? {
        guard byteCount > 0 else { return nil }
        return state.withLock { s -> Entry? in
            guard s.budget > 0, s.entries[key] == nil, !s.filling.contains(key) else { return nil }
            guard s.seen.contains(key) else {
                if s.seen.count >= 1 << 20 { s.seen.removeAll() }
                s.seen.insert(key)
                return nil
            }
            guard s.used + byteCount <= s.budget else { return nil }
            let size = (byteCount + 63) & ~63
            if s.slab == nil || s.slabUsed + size > s.slab!.size {
                let want = max(size, min(VectorCache.slabSize, s.budget - s.used))
                s.slab = Slab(size: (want + (2 << 20) - 1) & ~((2 << 20) - 1))
                s.slabUsed = 0
            }
            let e = Entry(slab: s.slab!, offset: s.slabUsed, byteCount: byteCount, generation: s.generation)
            s.slabUsed += size
            s.used += byteCount
            s.filling.insert(key)
            return e
        }
    }

    /// Makes a filled reservation visible to later searches.
    func publish(_ key: Key, _ entry: Entry) {
        state.withLock { s in
            guard entry.generation == s.generation else { return }
            s.filling.remove(key)
            s.entries[key] = entry
        }
    }

    /// Gives up a reservation that could not be filled (its memory stays counted until `clear()`).
    func abandon(_ key: Key, _ entry: Entry) {
        state.withLock { s in
            guard entry.generation == s.generation else { return }
            s.filling.remove(key)
        }
    }
}
