// A small in-memory EventStore for StreamableHTTPServerTransport, so that a
// client can resume a stream with Last-Event-ID. (The SDK ships one only as
// an example, and its id parsing breaks for the standalone '_GET_stream'.)
export class InMemoryEventStore {
    constructor(limit = 10000) {
        this.limit = limit;
        this.seq = 0;
        this.events = new Map(); // eventId -> { streamId, message }, insertion-ordered
    }

    async storeEvent(streamId, message) {
        const eventId = `ev-${++this.seq}`;
        this.events.set(eventId, { streamId, message });
        while (this.events.size > this.limit) {
            this.events.delete(this.events.keys().next().value);
        }
        return eventId;
    }

    async getStreamIdForEventId(eventId) {
        return this.events.get(eventId)?.streamId;
    }

    // Sends every event of the same stream stored after lastEventId; returns
    // that stream's id ('' if lastEventId is unknown).
    async replayEventsAfter(lastEventId, { send }) {
        const last = this.events.get(lastEventId);
        if (!last) return '';
        let after = false;
        for (const [eventId, { streamId, message }] of [...this.events.entries()]) {
            if (eventId === lastEventId) {
                after = true;
                continue;
            }
            if (!after || streamId !== last.streamId) continue;
            // Priming events are stored as {}: not a JSON-RPC message, skip.
            if (message && Object.keys(message).length === 0) continue;
            await send(eventId, message);
        }
        return last.streamId;
    }
}
