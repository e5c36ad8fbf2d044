package io.pgflash.kafka;

import io.pgflash.core.BatchChangeListener;
import io.pgflash.core.ChangeEvent;
import io.pgflash.core.Operation;
import io.pgflash.core.TableName;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.errors.RecordBatchTooLargeException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.jspecify.annotations.Nullable;

/**
 * Publishes one route's events: sends a batch's records, then returns only once the broker acknowledged every one, so
 * the stream's position is confirmed past an event only after its record is in Kafka. A batch with a record that was
 * not acknowledged fails as a whole and is sent again by the error policy: records can arrive more than once, never
 * not at all.
 */
final class KafkaPublisher implements BatchChangeListener {

    static final String POSITION_HEADER = "pgflash-position";
    static final String OPERATION_HEADER = "pgflash-operation";
    static final String ERROR_HEADER = "pgflash-error";

    private final KafkaRoute route;
    private final String topicPrefix;
    private final Producer<byte[], byte[]> producer;
    private final BridgeMetrics metrics;
    private final @Nullable String deadLetterTopic;
    private final Map<TableName, String> topics = new ConcurrentHashMap<>();

    /** When the batch now waiting for acknowledgements was sent ({@code System.nanoTime()}), 0 when none waits. */
    private volatile long waitingSince;
    private volatile @Nullable String failure;

    KafkaPublisher(KafkaRoute route, String topicPrefix, Producer<byte[], byte[]> producer, BridgeMetrics metrics,
            @Nullable String deadLetterTopic) {
        this.route = route;
        this.topicPrefix = topicPrefix;
        this.producer = producer;
        this.metrics = metrics;
        this.deadLetterTopic = deadLetterTopic;
    }

    @Override
    public void onChanges(List<ChangeEvent> events) throws Exception {
        long sentAt = System.nanoTime();
        waitingSince = sentAt;
        try {
            List<Sent> sent = new ArrayList<>(events.size());
            KafkaException refused = null;
            for (ChangeEvent event : events) {
                try {
                    for (ProducerRecord<byte[], byte[]> record : records(event)) {
                        sent.add(send(record));
                    }
                } catch (KafkaException e) { // the producer refused before sending (closed, or no metadata in time)
                    refused = e;
                    break;
                }
            }
            if (refused == null) {
                producer.flush(); // the batch's last records need not wait linger.ms: the listener waits for them
            }
            List<Sent> tooLarge = new ArrayList<>();
            Throwable notAcknowledged = refused;
            Map<String, Integer> acknowledged = new HashMap<>(4);
            for (Sent record : sent) {
                Throwable error = outcome(record);
                if (error == null) {
                    acknowledged.merge(record.record().topic(), 1, Integer::sum);
                } else if (error instanceof RecordTooLargeException || error instanceof RecordBatchTooLargeException) {
                    tooLarge.add(record.withError(error));
                } else if (notAcknowledged == null) {
                    notAcknowledged = error;
                }
            }
            metrics.acknowledged(acknowledged, sentAt);
            if (notAcknowledged == null && !tooLarge.isEmpty()) {
                notAcknowledged = deadLetter(tooLarge);
            }
            if (notAcknowledged != null) {
                String reason = "Kafka did not acknowledge the records of " + route.spec().table() + ": "
                        + notAcknowledged;
                failure = reason;
                throw new KafkaPublishException(reason + "; the batch is sent again", notAcknowledged);
            }
            failure = null;
        } finally {
            waitingSince = 0;
        }
    }

    /** The event's record; a TRUNCATE (no key) goes to every partition, so each key's readers see it in order. */
    List<ProducerRecord<byte[], byte[]>> records(ChangeEvent event) {
        String topic = topic(event.table());
        String position = event.position().toString();
        byte[] value = ChangeEventJson.value(event, position);
        if (event.operation() == Operation.TRUNCATE) {
            List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
            for (PartitionInfo partition : producer.partitionsFor(topic)) {
                records.add(new ProducerRecord<>(topic, partition.partition(), (byte[]) null, value,
                        headers(event, position)));
            }
            return records;
        }
        return List.of(new ProducerRecord<>(topic, (Integer) null, ChangeEventJson.key(event), value,
                headers(event, position)));
    }

    private static RecordHeaders headers(ChangeEvent event, String position) {
        return new RecordHeaders(new Header[] {
                new RecordHeader(POSITION_HEADER, position.getBytes(StandardCharsets.UTF_8)),
                new RecordHeader(OPERATION_HEADER, event.operation().name().getBytes(StandardCharsets.UTF_8))});
    }

    private String topic(TableName table) {
        String named = route.topic();
        if (named != null) {
            return named;
        }
        return topics.computeIfAbsent(table, resolved -> {
            String topic = KafkaTopics.defaultTopic(topicPrefix, resolved);
            KafkaTopics.check(topic, "the default topic of table " + resolved,
                    "name a topic for it (KafkaRoute.toTopic, or pgflash.kafka.tables[n].topic)");
            return topic;
        });
    }

    private Sent send(ProducerRecord<byte[], byte[]> record) {
        metrics.sending();
        try {
            return new Sent(record, producer.send(record, (metadata, error) -> {
                if (error == null) {
                    metrics.answered();
                } else {
                    metrics.failed(record.topic());
                }
            }), null);
        } catch (KafkaException e) {
            metrics.failed(record.topic());
            throw e;
        }
    }

    private static @Nullable Throwable outcome(Sent record) throws InterruptedException {
        try {
            record.future().get();
            return null;
        } catch (ExecutionException e) {
            return e.getCause();
        }
    }

    /**
     * Records the broker refuses for their size cannot be sent by trying again: with a dead-letter topic they go there
     * without their value (the headers name the row's place, the key names the row, the error says why), so the
     * stream goes on; without one, the stream waits until the broker's or topic's size limit is raised.
     */
    private @Nullable Throwable deadLetter(List<Sent> refused) throws InterruptedException {
        if (deadLetterTopic == null) {
            return refused.get(0).error();
        }
        List<Sent> sent = new ArrayList<>();
        for (Sent record : refused) {
            RecordHeaders headers = new RecordHeaders(record.record().headers().toArray());
            headers.add(ERROR_HEADER, String.valueOf(record.error()).getBytes(StandardCharsets.UTF_8));
            sent.add(send(new ProducerRecord<>(deadLetterTopic, (Integer) null, record.record().key(), (byte[]) null,
                    headers)));
        }
        long sentAt = System.nanoTime();
        Map<String, Integer> acknowledged = new HashMap<>(2);
        Throwable failed = null;
        for (Sent record : sent) {
            Throwable error = outcome(record);
            if (error == null) {
                acknowledged.merge(record.record().topic(), 1, Integer::sum);
            } else if (failed == null) {
                failed = error;
            }
        }
        metrics.acknowledged(acknowledged, sentAt);
        return failed;
    }

    @Override
    public String toString() {
        return "the Kafka bridge's publisher of " + route.spec().table()
                + (route.topic() != null ? " to " + route.topic() : "");
    }

    long waitingSince() {
        return waitingSince;
    }

    @Nullable String failure() {
        return failure;
    }

    private record Sent(ProducerRecord<byte[], byte[]> record, Future<RecordMetadata> future,
            @Nullable Throwable error) {

        Sent withError(Throwable cause) {
            return new Sent(record, future, cause);
        }
    }
}
