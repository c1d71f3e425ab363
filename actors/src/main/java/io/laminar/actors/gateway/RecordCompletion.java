package io.laminar.actors.gateway;

import org.apache.kafka.common.TopicPartition;

/** What the gateway tells the poller when records are done. */
interface RecordCompletion {
    /** A record was served; everything before {@code committableOffset} of {@code tp} is done. */
    void finished(TopicPartition tp, long committableOffset);

    /** A record's events could not be written: it no longer counts as in flight, and its offset stays uncommitted. */
    void abandoned();

    /** A record was read again while it is still being served: it does not count as in flight twice. */
    void readAgain();
}
