/// An optional value stored as the value and a flag, not as an `Optional`: for the fields of the
/// pipeline's large value types (a message's question and OPT record, an event's sandbox).
///
/// Why: with an `Optional` of a reference-counted value among its fields, Swift 6.3 (-O) built such a
/// struct in two temporaries at every construction, copied one into place with its retains and
/// destroyed the other (reproduced with a 20-line struct: an `Int?` or a non-optional `String` field
/// does not, a `String?` or any class? does). Replay constructs a message and an event per packet:
/// ~300 instructions a message on its reader thread went to those copies.
///
/// The public properties stay optionals (computed over this); code on a per-packet path reads
/// ``optional`` through the stored field, because reading a large struct's computed property where
/// it was not inlined copied the whole struct first.
@usableFromInline package struct StoredOptional<Wrapped: Sendable>: Sendable {
    /// The value, or the placeholder an absent one keeps (the same one every time, so two absent
    /// values compare equal).
    @usableFromInline var value: Wrapped
    @usableFromInline var present: Bool

    @inlinable package init(_ optional: Wrapped?, absent placeholder: @autoclosure () -> Wrapped) {
        if let optional {
            value = optional
            present = true
        } else {
            value = placeholder()
            present = false
        }
    }

    @inlinable package var optional: Wrapped? { present ? value : nil }
}

extension StoredOptional: Equatable where Wrapped: Equatable {}
extension StoredOptional: Hashable where Wrapped: Hashable {}
