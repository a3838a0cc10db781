/// Where the answer to one message goes: straight to the writer, or into its slot of a batch.
enum ResponseSink: Sendable {
    case direct
    case batch(BatchCollector, index: Int)
}
