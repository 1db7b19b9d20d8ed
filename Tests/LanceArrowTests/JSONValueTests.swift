import LanceArrow
import LanceCore
import Testing

@Suite struct JSONValueTests {
    @Test func parsesScalarsAndKeepsIntegersExact() throws {
        #expect(try JSONValue.parse("null") == .null)
        #expect(try JSONValue.parse(" true ") == .bool(true))
        #expect(try JSONValue.parse("false") == .bool(false))
        #expect(try JSONValue.parse("-9223372036854775808") == .int(Int64.min))
        #expect(try JSONValue.parse("18446744073709551615") == .uint(UInt64.max))
        #expect(try JSONValue.parse("9223372036854775807") == .int(Int64.max))
        #expect(try JSONValue.parse("0") == .int(0))
        #expect(try JSONValue.parse("-0.0") == .double(-0.0))
        #expect(try JSONValue.parse("1e+16").doubleValue == 1e16)
        #expect(try JSONValue.parse("0.10000000149011612").doubleValue == Double(Float(0.1)))
        #expect(try JSONValue.parse("5e-324").doubleValue == Double.leastNonzeroMagnitude)
        // beyond 64 bits: a double
        if case .double(let d) = try JSONValue.parse("123456789012345678901234") { #expect(d == 1.2345678901234568e23) }
        else { Issue.record("expected a double") }
    }

    @Test func parsesStringsWithEscapes() throws {
        let v = try JSONValue.parse(#""a\"b\\c\/d\b\f\n\r\t\u0001\u00e9\ud83e\udd80 日本""#)
        #expect(v == .string("a\"b\\c/d\u{8}\u{c}\n\r\t\u{1}é🦀 日本"))
    }

    @Test func keepsObjectKeyOrder() throws {
        let v = try JSONValue.parse(#"{"z":1,"a":[1,2,{"m":null}],"k":{}}"#)
        #expect(v.objectValue?.keys == ["z", "a", "k"])
        #expect(v["a"]?[2]?["m"] == .null)
        #expect(v["k"] == .object(JSONObject()))
    }

    @Test(arguments: [
        "", " ", "[1,]", "{\"a\":1,}", "01", "-", "1.", ".5", "1e", "+1", "NaN", "Infinity", "nul", "tru",
        "\"abc", "\"\\x\"", "\"\\u12\"", "\"\\ud800\"", "\"\\udc00\"", "\"a\u{1}b\"", "[1 2]", "{\"a\" 1}",
        "{1:2}", "{\"a\":1,\"a\":2}", "[1]x", "'a'", "[", "{", "\"\\ud800\\u0041\"",
    ])
    func rejectsInvalidJSON(_ text: String) {
        #expect(throws: LanceError.self) { try JSONValue.parse(text) }
    }

    @Test func rejectsDeepNestingWithoutCrashing() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(throws: LanceError.self) { try JSONValue.parse(deep) }
        #expect(throws: Never.self) { try JSONValue.parse(String(repeating: "[", count: 50) + String(repeating: "]", count: 50)) }
    }

    @Test func rejectsInvalidUTF8() {
        #expect(throws: LanceError.self) { try JSONValue.parse([0x22, 0xFF, 0x22]) }
    }

    @Test func serializesPerContract() {
        let v: JSONValue = ["a": 1.0, "b": .double(.nan), "c": .double(.infinity), "d": .double(-.infinity),
                            "e": "q\"\\\n\u{1f}é", "f": [nil, true, .uint(UInt64.max)], "g": .double(0.1),
                            "h": .double(Double(Float(0.1))), "i": .int(-5), "j": .double(-0.0)]
        #expect(v.serialized() ==
            #"{"a":1.0,"b":"NaN","c":"Infinity","d":"-Infinity","e":"q\"\\\n\u001fé","f":[null,true,18446744073709551615],"g":0.1,"h":0.10000000149011612,"i":-5,"j":-0.0}"#)
    }

    @Test func prettyOutputParsesBack() throws {
        let v: JSONValue = ["a": [1, 2, ["x": "y"]], "b": [:], "c": []]
        let text = v.serialized(pretty: true)
        #expect(text.contains("\n  \"a\": [\n"))
        #expect(try JSONValue.parse(text) == v)
    }

    @Test func roundTripsThroughText() throws {
        let v: JSONValue = ["k": ["s": "日本\u{0}", "n": .int(Int64.min), "u": .uint(UInt64.max), "d": 1.5e-300],
                            "l": [[], [[]], ["a": nil]]]
        let back = try JSONValue.parse(v.serialized())
        #expect(back == v)
        #expect(back.serialized() == v.serialized())
    }

    @Test func numbersCompareByValue() throws {
        #expect(JSONValue.int(1) == .double(1.0))
        #expect(JSONValue.double(1.5) != .int(1))
        #expect(JSONValue.int(Int64.max) != .double(9.223372036854775807e18))  // 2^63 is not Int64.max
        #expect(JSONValue.uint(UInt64.max) != .double(1.8446744073709552e19))
        #expect(JSONValue.uint(1 << 63) == .double(9.223372036854775808e18))
        #expect(JSONValue.double(.nan) == .string("NaN"))
        #expect(JSONValue.string("NaN") == .double(.nan))
        #expect(JSONValue.double(.nan) == .double(.nan))
        #expect(JSONValue.string("-Infinity") == .double(-.infinity))
        #expect(JSONValue.string("Infinity") != .double(-.infinity))
        #expect(JSONValue.string("x") != .double(1))
        #expect(try JSONValue.parse("[1.0, \"NaN\"]") == [1, .double(.nan)])
        #expect(JSONValue.int(0) != .null)
        #expect(JSONValue.bool(false) != .int(0))
    }

    @Test func objectsCompareInOrderUnlessAsked() {
        let a: JSONValue = ["x": 1, "y": 2]
        let b: JSONValue = ["y": 2, "x": 1]
        #expect(a != b)
        #expect(b.firstDifference(from: a, ignoringKeyOrder: true) == nil)
        #expect(b.firstDifference(from: a)?.contains("different order") == true)
    }

    @Test func firstDifferenceLocatesTheValue() {
        let expected: JSONValue = ["id": 3, "st": ["inner": ["c": 1.5, "d": [1, 2]]]]
        let got: JSONValue = ["id": 3, "st": ["inner": ["c": 1.5, "d": [1, 3]]]]
        #expect(got.firstDifference(from: expected) == "$.st.inner.d[1]: expected 2, got 3")
        let missing: JSONValue = ["id": 3]
        #expect(missing.firstDifference(from: expected)?.hasPrefix("$: missing key \"st\"") == true)
        let extra: JSONValue = ["id": 3, "st": ["inner": ["c": 1.5, "d": [1, 2]]], "z": nil]
        #expect(extra.firstDifference(from: expected) == "$: unexpected key \"z\" (value null)")
        #expect(JSONValue.array([1]).firstDifference(from: [1, 2]) == "$: expected an array of 2 elements, got 1")
        #expect(expected.firstDifference(from: expected) == nil)
    }

    @Test func parsesJSONLines() throws {
        let rows = try JSONValue.parseLines("{\"a\":1}\n\n{\"a\":2}\r\n")
        #expect(rows == [["a": 1], ["a": 2]])
        #expect(throws: LanceError.self) { try JSONValue.parseLines("{\"a\":1}\n{bad}\n") }
    }

    @Test func base64MatchesRFC4648Vectors() throws {
        let vectors: [(String, String)] = [("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"),
                                           ("foob", "Zm9vYg=="), ("fooba", "Zm9vYmE="), ("foobar", "Zm9vYmFy")]
        for (plain, enc) in vectors {
            #expect(Base64.encode(Array(plain.utf8)) == enc)
            #expect(try Base64.decode(enc) == Array(plain.utf8))
        }
        let all = (0 ..< 256).map { UInt8($0) }
        let e = Base64.encode(all)
        #expect(e.hasPrefix("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4OTo7PD0+P0BB"))
        #expect(e.hasSuffix("+/w=="))
        #expect(try Base64.decode(e) == all)
        for bad in ["Zg=", "Z===", "Zg=a", "Zm9v!A==", "=Zm9"] {
            #expect(throws: LanceError.self) { try Base64.decode(bad) }
        }
    }
}
