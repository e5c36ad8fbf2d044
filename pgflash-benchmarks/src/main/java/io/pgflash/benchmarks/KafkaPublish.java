package io.pgflash.benchmarks;

import io.debezium.engine.ChangeEvent;
import io.debezium.engine.DebeziumEngine;
import io.debezium.engine.format.Json;
import io.pgflash.core.PgFlash;
import io.pgflash.core.SubscriptionSpec;
import io.pgflash.core.driver.ChangeDriver;
import io.pgflash.core.driver.trigger.DurableDriver;
import io.pgflash.core.driver.wal.WalDriver;
import io.pgflash.kafka.KafkaBridge;
import io.pgflash.kafka.KafkaRoute;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;

/**
 * Publishing a backlog to Kafka: a publisher is stopped, a backlog of rows is committed (100-row transactions by 4
 * pgbench clients), then the publisher starts and puts it into a broker (embedded KRaft, in the suite's JVM; a topic
 * of {@value #PARTITIONS} partitions). pgflash's Kafka bridge against Debezium's embedded engine whose handler sends
 * each record through a Kafka producer and marks it processed once the broker acknowledged it (at-least-once, like the
 * bridge; JSON values without schemas). Both producers have the bridge's settings ({@code acks=all}, idempotence,
 * 256 KB batches, Kafka's other defaults) and flush after sending a batch. A tenth of the backlog is published first
 * to warm up, then each round stops the publisher, commits a backlog and publishes it: the rounds run in one JVM, so
 * later rounds measure compiled code (on two cores the JIT compiler still takes a third of a core in the first).
 * Each publisher runs in a JVM of its own with {@code -Xmx256m}. Reported: records per second into the broker (from
 * the first to the last the broker shows at the end of the topic) per round and their median, and the peak heap used.
 */
final class KafkaPublish {

    static final String HEAP = "-Xmx256m";
    static final int PARTITIONS = 3;

    /** {@code rates}: records per second of each round, in order. */
    record Result(long records, double startupSeconds, List<Double> rates, double peakHeapMb, String failure) {

        boolean finished() {
            return failure == null;
        }

        /** The median of the rounds' rates. */
        double recordsPerSecond() {
            List<Double> sorted = rates.stream().sorted().toList();
            int middle = sorted.size() / 2;
            return sorted.size() % 2 == 1 ? sorted.get(middle) : (sorted.get(middle - 1) + sorted.get(middle)) / 2;
        }
    }

    private final BenchServer server;
    private final KafkaClusterTestKit broker;

    /**
     * Starts a one-node KRaft broker in this JVM, with Kafka's own test kit at Debezium's Kafka version (the broker of
     * spring-kafka-test needs an older one).
     */
    KafkaPublish(BenchServer server) throws Exception {
        this.server = server;
        this.broker = new KafkaClusterTestKit.Builder(new TestKitNodes.Builder().setCombined(true)
                .setNumBrokerNodes(1).setNumControllerNodes(1).build()).build();
        broker.format();
        broker.startup();
        broker.waitForReadyBrokers();
    }

    Result run(Consumers kind, int rows, int rounds) throws Exception {
        String topic = BenchServer.uniqueName("bench_kafka").replace('_', '-');
        try (Admin admin = broker.admin()) {
            admin.createTopics(List.of(new NewTopic(topic, PARTITIONS, (short) 1))).all().get();
        }
        ChildJvm.Run child = ChildJvm.run(KafkaPublish.class, HEAP, server, kind.name(), String.valueOf(rows),
                String.valueOf(rounds), broker.bootstrapServers(), topic);
        if (child.failure() != null) {
            return new Result(0, 0, List.of(), 0, child.failure());
        }
        double[] f = child.fields();
        List<Double> rates = new ArrayList<>();
        for (int round = 0; round < rounds; round++) {
            rates.add(f[3 + round]);
        }
        Result result = new Result((long) f[0], f[1], rates, f[2], null);
        System.out.printf("kafka publish, %-24s %d records: %8.0f/s (median of %s) after %.1f s of start-up,"
                + " peak heap %.0f MB (%s)%n", kind.label(), result.records(), result.recordsPerSecond(),
                rates.stream().map(Math::round).toList(), result.startupSeconds(), result.peakHeapMb(), HEAP);
        return result;
    }

    void close() throws Exception {
        broker.close();
    }

    /**
     * The child JVM: args are the consumer kind (WAL, DURABLE or DEBEZIUM), the rows, the rounds, the brokers and the
     * topic. Prints the backlog, the first round's start-up, the peak heap, and each round's records per second.
     */
    public static void main(String[] args) throws Exception {
        Consumers kind = Consumers.valueOf(args[0]);
        int rows = Integer.parseInt(args[1]);
        int rounds = Integer.parseInt(args[2]);
        String brokers = args[3];
        String topic = args[4];
        try (BenchServer server = BenchServer.start();
                KafkaConsumer<byte[], byte[]> ends = new KafkaConsumer<>(Map.of("bootstrap.servers", brokers),
                        new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            server.recreateBenchTable();
            List<TopicPartition> partitions = new ArrayList<>();
            for (int partition = 0; partition < PARTITIONS; partition++) {
                partitions.add(new TopicPartition(topic, partition));
            }
            try (Publisher publisher = kind == Consumers.DEBEZIUM ? new DebeziumPublisher(server, brokers, topic)
                    : new BridgePublisher(server, kind, brokers, topic)) {
                // a tenth of the backlog first, so the publisher's and the broker's code is compiled before the
                // measurement (the broker's JVM serves the three publishers in turn)
                publisher.start();
                long warmUp = (long) server.pgbenchCount(WriteOverhead.rows(100), 4, Math.max(1, rows / 1000)) * 100;
                awaitRecords(ends, partitions, warmUp, Duration.ofMinutes(10));
                HeapSampler heap = new HeapSampler();
                heap.start();
                long backlog = 0;
                double startup = 0;
                StringBuilder rates = new StringBuilder();
                for (int round = 0; round < rounds; round++) {
                    publisher.stop();
                    backlog = (long) server.pgbenchCount(WriteOverhead.rows(100), 4, rows / 100) * 100;
                    System.gc();
                    double[] measured = publishBacklog(publisher, ends, partitions, backlog, kind);
                    startup = round == 0 ? measured[0] : startup;
                    rates.append(' ').append(measured[1]);
                }
                heap.interrupt();
                System.out.println(ChildJvm.RESULT + backlog + " " + startup + " " + heap.peakUsed.get() / 1048576.0
                        + rates);
            }
        }
        System.exit(0); // engines may leave non-daemon threads behind
    }

    /** Starts the publisher and waits until the backlog is in the broker: the start-up and the records per second. */
    private static double[] publishBacklog(Publisher publisher, KafkaConsumer<byte[], byte[]> ends,
            List<TopicPartition> partitions, long backlog, Consumers kind) throws Exception {
        long before = records(ends, partitions);
        long start = System.nanoTime();
        publisher.start();
        long first = 0;
        long deadline = start + TimeUnit.MINUTES.toNanos(30);
        for (long now = System.nanoTime(); ; now = System.nanoTime()) {
            long published = records(ends, partitions) - before;
            if (first == 0 && published > 0) {
                first = now;
            }
            if (published >= backlog) {
                break;
            }
            if (now > deadline) {
                throw new IllegalStateException(kind + " published " + published + " of " + backlog);
            }
            Thread.sleep(50); // the end offsets, read from the broker
        }
        long last = System.nanoTime();
        return new double[] {(first - start) / 1e9, backlog / ((last - first) / 1e9)};
    }

    private static long records(KafkaConsumer<byte[], byte[]> ends, List<TopicPartition> partitions) {
        return ends.endOffsets(partitions).values().stream().mapToLong(Long::longValue).sum();
    }

    private static void awaitRecords(KafkaConsumer<byte[], byte[]> ends, List<TopicPartition> partitions, long count,
            Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (records(ends, partitions) < count) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("no record reached the broker within " + timeout);
            }
            Thread.sleep(20);
        }
    }

    /** Something that publishes the bench table's changes to a topic, and can stop and go on where it was. */
    private interface Publisher extends AutoCloseable {

        void start() throws Exception;

        void stop() throws Exception;
    }

    /** pgflash's Kafka bridge on the WAL driver or the durable mode. */
    private static final class BridgePublisher implements Publisher {

        private final BenchServer server;
        private final PgFlash flash;
        private final KafkaBridge bridge;
        private final String cleanup;

        BridgePublisher(BenchServer server, Consumers kind, String brokers, String topic) {
            this.server = server;
            String name = BenchServer.uniqueName("pgflash_kafka");
            ChangeDriver driver = kind == Consumers.WAL
                    ? WalDriver.builder().slotName(name).publicationName(name).dropSlotOnShutdown(true).build()
                    : DurableDriver.builder().schema("bench_kafka").group("bench").build();
            this.cleanup = kind == Consumers.WAL ? null : "DROP SCHEMA IF EXISTS bench_kafka CASCADE";
            this.flash = PgFlash.builder().jdbcUrl(server.url, server.user, server.password).driver(driver).build();
            this.bridge = KafkaBridge.builder().producer(Map.of("bootstrap.servers", brokers))
                    .route(KafkaRoute.of(SubscriptionSpec.table("bench").build()).toTopic(topic)).build();
            bridge.subscribe(flash);
        }

        @Override
        public void start() {
            flash.start();
        }

        @Override
        public void stop() {
            flash.stop();
        }

        @Override
        public void close() throws Exception {
            flash.close();
            bridge.close();
            if (cleanup != null) {
                server.execute(cleanup);
            }
        }
    }

    /**
     * Debezium's embedded engine, as its documentation shows publishing to Kafka by hand: a batch's records sent
     * through a producer with the bridge's settings, each marked processed once the broker acknowledged it, then the
     * batch marked finished.
     */
    private static final class DebeziumPublisher implements Publisher {

        private final BenchServer server;
        private final String topic;
        private final String slot = BenchServer.uniqueName("debezium_kafka");
        private final Path offsets;
        private final KafkaProducer<byte[], byte[]> producer;
        private DebeziumEngine<ChangeEvent<String, String>> engine;
        private ExecutorService executor;

        DebeziumPublisher(BenchServer server, String brokers, String topic) throws Exception {
            this.server = server;
            this.topic = topic;
            this.offsets = Files.createTempFile("debezium-kafka-offsets", ".dat");
            this.producer = new KafkaProducer<>(KafkaBridge.producerSettings(Map.of("bootstrap.servers", brokers)));
        }

        @Override
        public void start() throws Exception {
            Properties properties = DebeziumConsumer.properties(server, slot, offsets, "bench", "no_data");
            properties.setProperty("converter.schemas.enable", "false");
            engine = DebeziumEngine.create(Json.class).using(properties)
                    .notifying((records, committer) -> {
                        List<Future<RecordMetadata>> sent = new ArrayList<>(records.size());
                        for (ChangeEvent<String, String> record : records) {
                            if (record.value() != null && record.destination().endsWith(".public.bench")) {
                                sent.add(producer.send(new ProducerRecord<>(topic, bytes(record.key()),
                                        bytes(record.value()))));
                            }
                        }
                        producer.flush(); // as pgflash's bridge does: the last records need not wait for linger.ms
                        try {
                            for (Future<RecordMetadata> future : sent) {
                                future.get();
                            }
                        } catch (java.util.concurrent.ExecutionException e) {
                            throw new IllegalStateException(e.getCause());
                        }
                        for (ChangeEvent<String, String> record : records) {
                            committer.markProcessed(record);
                        }
                        committer.markBatchFinished();
                    })
                    .build();
            executor = DebeziumConsumer.startEngine(engine, server, slot);
        }

        private static byte[] bytes(String text) {
            return text == null ? null : text.getBytes(StandardCharsets.UTF_8);
        }

        @Override
        public void stop() throws Exception {
            if (engine != null) {
                DebeziumConsumer.stopEngine(engine, executor);
                engine = null;
            }
        }

        @Override
        public void close() throws Exception {
            stop();
            producer.close();
            server.dropSlotWhenInactive(slot);
            server.execute("DROP PUBLICATION IF EXISTS " + slot);
            Files.deleteIfExists(offsets);
        }
    }
}
