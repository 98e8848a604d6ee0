-- The trace an event belongs to: the W3C `traceparent` of the span that wrote the row (an
-- HTTP request, a consumed message), so that the relay publishes the event as part of that
-- trace (AMQP header `traceparent`) and its consumers continue it. NULL for rows written
-- outside any span, and for rows written before this column existed.
ALTER TABLE outbox ADD COLUMN IF NOT EXISTS traceparent TEXT;
