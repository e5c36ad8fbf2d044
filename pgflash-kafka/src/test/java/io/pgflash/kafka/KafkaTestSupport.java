package io.pgflash.kafka;

import static org.awaitility.Awaitility.await;

import io.pgflash.core.BackOff;
import io.pgflash.core.PgFlash;
import io.pgflash.core.driver.ChangeDriver;
import io.pgflash.core.driver.trigger.DurableDriver;
import io.pgflash.core.driver.wal.WalDriver;
import io.pgflash.test.TestDatabase;
import io.pgflash.test.TestPostgres;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.springframework.kafka.test.EmbeddedKafkaKraftBroker;

/** A Kafka broker in the test JVM and a database per test class; clients and bridges closed after each test. */
abstract class KafkaTestSupport {

    static final int PARTITIONS = 3;

    static EmbeddedKafkaKraftBroker broker;
    static TestDatabase db;
    private static int groups;

    private final List<AutoCloseable> closing = new ArrayList<>();

    @BeforeAll
    static void startBrokerAndDatabase() {
        broker = new EmbeddedKafkaKraftBroker(1, PARTITIONS);
        broker.afterPropertiesSet();
        db = TestPostgres.shared().createDatabase();
    }

    @AfterAll
    static void destroyBroker() {
        broker.destroy();
    }

    @AfterEach
    void closeAll() throws Exception {
        for (int i = closing.size() - 1; i >= 0; i--) {
            closing.get(i).close();
        }
        closing.clear();
    }

    <T extends AutoCloseable> T closeAfterTest(T closeable) {
        closing.add(closeable);
        return closeable;
    }

    /** A new consumer group of the named driver ({@code wal} or {@code durable}); its WAL slot dropped at close. */
    static ChangeDriver driver(String name) {
        return driverInGroup(name, newGroup(), true);
    }

    static String newGroup() {
        return db.name() + "_kafka_" + (++groups);
    }

    static ChangeDriver driverInGroup(String name, String group, boolean dropSlotOnShutdown) {
        return switch (name) {
            case "wal" -> WalDriver.builder().group(group).dropSlotOnShutdown(dropSlotOnShutdown)
                    .reconnectBackOff(BackOff.fixed(Duration.ofMillis(100))).build();
            case "durable" -> DurableDriver.builder().group(group).build();
            default -> throw new IllegalArgumentException(name);
        };
    }

    PgFlash startFlash(ChangeDriver driver) {
        PgFlash flash = flash(driver);
        flash.start();
        return flash;
    }

    /** A client not started yet, closed after the test. */
    PgFlash flash(ChangeDriver driver) {
        return closeAfterTest(PgFlash.builder().jdbcUrl(db.jdbcUrl(), db.user(), db.password()).driver(driver)
                .build());
    }

    /** Subscribes the bridge, then starts the client (a restarted group replays only to subscriptions made). */
    PgFlash startPublishing(KafkaBridge bridge, ChangeDriver driver) {
        PgFlash flash = flash(driver);
        bridge.subscribe(flash);
        flash.start();
        return flash;
    }

    static Map<String, Object> producerSettings() {
        return Map.of("bootstrap.servers", broker.getBrokersAsString(), "linger.ms", 5);
    }

    /** Reads a topic from its start, all partitions. */
    KafkaConsumer<byte[], byte[]> reader(String topic) {
        KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of(
                "bootstrap.servers", broker.getBrokersAsString(), "auto.offset.reset", "earliest",
                "enable.auto.commit", false), new ByteArrayDeserializer(), new ByteArrayDeserializer());
        closeAfterTest(consumer);
        List<TopicPartition> partitions = new ArrayList<>();
        for (int partition = 0; partition < PARTITIONS; partition++) {
            partitions.add(new TopicPartition(topic, partition));
        }
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
        return consumer;
    }

    /** Polls until the records read so far satisfy {@code enough}; returns them in partition order. */
    static List<ConsumerRecord<byte[], byte[]>> readUntil(KafkaConsumer<byte[], byte[]> consumer,
            Predicate<List<ConsumerRecord<byte[], byte[]>>> enough) {
        List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
        await().atMost(Duration.ofMinutes(1)).until(() -> {
            consumer.poll(Duration.ofMillis(200)).forEach(records::add);
            return enough.test(records);
        });
        return records;
    }

    static String text(byte[] bytes) {
        return new String(bytes, StandardCharsets.UTF_8);
    }

    static String header(ConsumerRecord<byte[], byte[]> record, String name) {
        return text(record.headers().lastHeader(name).value());
    }
}
