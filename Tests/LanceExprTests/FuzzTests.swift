import LanceArrow
import LanceCore
import LanceExpr
import Testing
import LanceTestSupport

/// Deterministic generator (SplitMix64).
typealias FuzzRandom = SplitMix64

extension SplitMix64 {
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
    mutating func pick<T>(_ a: [T]) -> T { a[below(a.count)] }
}

/// Random and mutated filter strings: each must parse+bind+evaluate to a result or throw a
/// LanceError — never crash or hang.
@Suite struct FuzzTests {
    static let seeds = [
        #""NSFW" = 0 AND similarity > 0.3 AND width >= 512"#, "width / height > 1 OR caption LIKE '%cat%'",
        "CAST(width AS DOUBLE) / CAST(height AS DOUBLE) BETWEEN 0.5 AND 2", "flag IS NOT TRUE AND meta.a IN (1, 2, NULL)",
        "array_has_any(tags, ['a', 'b']) OR array_length(tags) > 1", "CASE WHEN width > 600 THEN 'big' ELSE caption END = 'x'",
        "caption ILIKE 'na_ve%' ESCAPE '!' AND NOT (score = 0.3)", "-width % 7 = -1 AND abs(height) >= 100",
        "coalesce(width, height, 0) * 2 <> 1024 OR regexp_like(caption, '^a')", "id::string || 'x' = '1x'",
        "lower(upper(caption)) = 'a cat' AND length(caption) >= 3", "round(similarity, 2) = 0.31 OR nullif(id, 3) IS NULL",
        "width > 9223372036854775807 OR id = -9223372036854775808", "DATE '2020-01-01' < DATE '2021-02-28'",
        "TIMESTAMP '2020-01-01 12:00:00.123' > TIMESTAMP '2019-12-31T23:59:59Z'", "tags[1] = 'a' AND meta.b IS NULL",
    ]
    static let pieces = ["id", "width", "height", "similarity", "NSFW", "\"NSFW\"", "`width`", "caption", "flag", "score",
                         "tags", "meta.a", "meta.b", "meta", "0", "1", "-1", "512", "0.3", "1e308", "-0.0", "'x'", "''", "NULL",
                         "TRUE", "FALSE", "'%a_'", "9223372036854775807", "18446744073709551615", "DATE '2020-02-30'",
                         "=", "<>", "<", ">=", "+", "-", "*", "/", "%", "||", "::", "AND", "OR", "NOT", "IS", "NULL",
                         "IN", "BETWEEN", "LIKE", "ILIKE", "ESCAPE", "(", ")", "[", "]", ",", ".", "CAST", "AS", "DOUBLE",
                         "TINYINT", "STRING", "CASE", "WHEN", "THEN", "ELSE", "END", "lower(", "abs(", "coalesce(",
                         "array_has(", "regexp_like(", "length(", "round(", "nullif("]

    static func mutate(_ s: String, _ r: inout FuzzRandom) -> String {
        var chars = Array(s)
        let alphabet = Array("()[]'\"`.,:=<>!%_-+*/|\\ aZ09é日\u{0}\n")
        for _ in 0 ..< 1 + r.below(3) {
            switch r.below(5) {
            case 0 where !chars.isEmpty: chars.remove(at: r.below(chars.count))
            case 1: chars.insert(r.pick(alphabet), at: r.below(chars.count + 1))
            case 2 where !chars.isEmpty: chars[r.below(chars.count)] = r.pick(alphabet)
            case 3 where chars.count > 2:
                let a = r.below(chars.count), b = r.below(chars.count)
                chars.removeSubrange(min(a, b) ..< max(a, b))
            default:
                let cut = r.below(chars.count + 1)
                chars.insert(contentsOf: Array(" " + r.pick(pieces) + " "), at: cut)
            }
        }
        return String(chars)
    }

    @Test func hundredThousandFilters() throws {
        let batch = try sampleBatch()
        var r = FuzzRandom(state: 0x5EED)
        var parsed = 0, bound = 0, evaluated = 0, errors = 0
        let total = 100_000
        for k in 0 ..< total {
            let text: String
            if k % 2 == 0 {
                text = Self.mutate(r.pick(Self.seeds), &r)
            } else {
                text = (0 ..< 1 + r.below(9)).map { _ in r.pick(Self.pieces) }.joined(separator: " ")
            }
            do {
                let e = try SQLExpr.parse(text)
                parsed += 1
                // Evaluate a sample of those that bind (binding is cheap; evaluation costs more in debug).
                let b = try BoundExpr(filter: e, schema: batch.schema)
                bound += 1
                if bound % 4 == 0 {
                    _ = try b.selection(batch)
                    evaluated += 1
                }
            } catch is LanceError {
                errors += 1
            } catch {
                Issue.record("`\(text)` threw a non-LanceError: \(error)")
            }
        }
        #expect(parsed + errors >= total - 0)
        #expect(bound > 1000, "the fuzzer should produce many valid filters (bound \(bound))")
        #expect(evaluated > 250)
        // Deep nesting is an error, not a stack overflow.
        let deep = String(repeating: "(", count: 5000) + "1" + String(repeating: ")", count: 5000)
        #expect(throws: LanceError.self) { try SQLExpr.parse(deep) }
        let long = (0 ..< 5000).map { _ in "id" }.joined(separator: " + ") + " > 0"
        #expect(throws: LanceError.self) { try SQLExpr.parse(long) }
        let nots = String(repeating: "NOT ", count: 5000) + "flag"
        #expect(throws: LanceError.self) { try SQLExpr.parse(nots) }
    }
}
