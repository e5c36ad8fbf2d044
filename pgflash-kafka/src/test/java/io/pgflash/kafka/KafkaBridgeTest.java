package io.pgflash.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.pgflash.core.PgFlash;
import io.pgflash.core.PgFlashException;
import io.pgflash.core.SubscriptionSpec;
import io.pgflash.core.driver.trigger.NotifyDriver;
import java.util.List;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

class KafkaBridgeTest extends KafkaTestSupport {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static int tables;

    @ParameterizedTest
    @ValueSource(strings = {"wal", "durable"})
    void everyChangeArrivesAsTheDocumentedJsonKeyedByItsPrimaryKeyInOrderPerKey(String driver) {
        String table = "items_" + (++tables);
        db.execute("CREATE TABLE " + table + " (id int PRIMARY KEY, title text, price numeric(12,4),"
                + " at timestamptz, data bytea, tags text[], ratio float8)");
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        KafkaBridge bridge = closeAfterTest(KafkaBridge.builder().producer(producerSettings())
                .route(KafkaRoute.table(table)).meterRegistry(meters).build());
        startPublishing(bridge, driver(driver));

        db.execute("INSERT INTO " + table + " VALUES (1, 'one', 12.3400, '2026-12-05 01:02:03.5+00', '\\x0102ff',"
                        + " '{a,\"b c\"}', 'NaN')",
                "INSERT INTO " + table + " VALUES (2, 'two', 1000, '2026-12-05 01:02:03+02', NULL, NULL, 0.5)",
                "UPDATE " + table + " SET title = 'one again' WHERE id = 1",
                "DELETE FROM " + table + " WHERE id = 1");

        List<ConsumerRecord<byte[], byte[]>> records = readUntil(reader("pgflash.public." + table),
                read -> read.size() >= 4);
        assertThat(records).hasSize(4);
        Map<String, List<ConsumerRecord<byte[], byte[]>>> byKey = records.stream()
                .collect(Collectors.groupingBy(record -> text(record.key())));
        assertThat(byKey.keySet()).containsExactlyInAnyOrder("{\"id\":1}", "{\"id\":2}");
        List<ConsumerRecord<byte[], byte[]>> first = byKey.get("{\"id\":1}");
        assertThat(first).extracting(ConsumerRecord::partition).containsOnly(first.get(0).partition());
        assertThat(first).extracting(record -> header(record, "pgflash-operation"))
                .containsExactly("INSERT", "UPDATE", "DELETE");

        String inserted = text(first.get(0).value());
        assertThat(inserted).contains("\"version\":1,\"operation\":\"INSERT\",\"sourceOperation\":\"INSERT\","
                + "\"schema\":\"public\",\"table\":\"" + table + "\",\"key\":{\"id\":1},\"newRow\":{\"id\":1,"
                + "\"title\":\"one\",\"price\":12.3400,\"at\":\"2026-12-05T01:02:03.5Z\",\"data\":\"AQL/\","
                + "\"tags\":[\"a\",\"b c\"],\"ratio\":\"NaN\"},\"oldRow\":null,\"changedColumns\":[],"
                + "\"unchangedColumns\":[],\"position\":");
        JsonNode insert = JSON.readTree(inserted);
        assertThat(insert.get("position").asString()).isEqualTo(header(first.get(0), "pgflash-position"));
        assertThat(insert.get("transactionId").asLong()).isPositive();
        assertThat(insert.get("timestamp").asString()).endsWith("Z");

        JsonNode update = JSON.readTree(first.get(1).value());
        // the WAL knows old values only with REPLICA IDENTITY FULL: without, every column counts as changed
        assertThat(update.get("changedColumns").toString()).isEqualTo(driver.equals("wal")
                ? "[\"id\",\"title\",\"price\",\"at\",\"data\",\"tags\",\"ratio\"]" : "[\"title\"]");
        assertThat(update.get("newRow").get("title").asString()).isEqualTo("one again");
        JsonNode delete = JSON.readTree(first.get(2).value());
        assertThat(delete.get("newRow").isNull()).isTrue();
        assertThat(delete.get("key").toString()).isEqualTo("{\"id\":1}");

        String second = text(byKey.get("{\"id\":2}").get(0).value());
        assertThat(second).contains("\"price\":1000.0000,\"at\":\"2026-12-04T23:02:03Z\",\"data\":null,\"tags\":null,"
                + "\"ratio\":0.5}");

        // counted once the batch's acknowledgements are in, which can be after a reader saw its records
        await().untilAsserted(() -> assertThat(meters.get("pgflash.kafka.records.sent")
                .tag("topic", "pgflash.public." + table).counter().count()).isEqualTo(4));
        assertThat(meters.get("pgflash.kafka.send").timer().count()).isPositive();
        assertThat(meters.get("pgflash.kafka.records.pending").gauge().value()).isZero();
        assertThat(bridge.status().up()).isTrue();
    }

    @Test
    void aKeyOfTwoColumnsIsTheSameBytesInEveryChangeOfTheRow() {
        db.execute("CREATE TABLE pairs (b text, a int, v int, PRIMARY KEY (a, b))");
        startPublishing(bridgeOf(KafkaRoute.table("pairs")), driver("wal"));

        db.execute("INSERT INTO pairs VALUES ('x', 1, 0)", "UPDATE pairs SET v = 1", "DELETE FROM pairs");

        List<ConsumerRecord<byte[], byte[]>> records = readUntil(reader("pgflash.public.pairs"),
                read -> read.size() >= 3);
        assertThat(records).extracting(record -> text(record.key())).containsOnly("{\"b\":\"x\",\"a\":1}");
        assertThat(records).extracting(ConsumerRecord::partition).containsOnly(records.get(0).partition());
    }

    @ParameterizedTest
    @ValueSource(strings = {"wal", "durable"})
    void aTruncateGoesToEveryPartitionOfItsTopic(String driver) {
        String table = "truncated_" + (++tables);
        db.execute("CREATE TABLE " + table + " (id int PRIMARY KEY)");
        startPublishing(bridgeOf(KafkaRoute.table(table)), driver(driver));

        db.execute("INSERT INTO " + table + " SELECT generate_series(1, 20)", "TRUNCATE " + table);

        List<ConsumerRecord<byte[], byte[]>> records = readUntil(reader("pgflash.public." + table),
                read -> read.size() >= 20 + PARTITIONS);
        List<ConsumerRecord<byte[], byte[]>> truncates = records.stream()
                .filter(record -> header(record, "pgflash-operation").equals("TRUNCATE")).toList();
        assertThat(truncates).extracting(ConsumerRecord::partition).containsExactlyInAnyOrder(0, 1, 2);
        assertThat(truncates).allSatisfy(record -> assertThat(record.key()).isNull());
        for (ConsumerRecord<byte[], byte[]> truncate : truncates) { // after every insert of its partition
            assertThat(records.stream().filter(record -> record.partition() == truncate.partition()
                    && record.offset() > truncate.offset())).isEmpty();
        }
    }

    @Test
    void aRouteKeepsItsSubscriptionsFilterAndPartialFieldsAndGoesToItsTopic() {
        db.execute("CREATE TABLE posts (id int PRIMARY KEY, title text, status text, body text)");
        KafkaRoute published = KafkaRoute.of(SubscriptionSpec.table("posts").filter("status=eq.published")
                .columns("title").build()).toTopic("published-posts");
        startPublishing(bridgeOf(published), driver("durable"));

        db.execute("INSERT INTO posts VALUES (1, 'draft', 'draft', 'x'), (2, 'out', 'published', 'y')",
                "UPDATE posts SET status = 'published' WHERE id = 1");

        List<ConsumerRecord<byte[], byte[]>> records = readUntil(reader("published-posts"),
                read -> read.size() >= 2);
        assertThat(records).extracting(record -> JSON.readTree(record.value()).get("newRow").toString())
                .containsExactlyInAnyOrder("{\"id\":2,\"title\":\"out\"}", "{\"id\":1,\"title\":\"draft\"}");
        assertThat(records).extracting(record -> JSON.readTree(record.value()).get("sourceOperation").asString())
                .containsExactlyInAnyOrder("INSERT", "UPDATE");
    }

    @Test
    void theNotifyModeIsRefusedItKeepsNothingWhileTheApplicationIsDown() {
        db.execute("CREATE TABLE refused (id int PRIMARY KEY)");
        PgFlash flash = startFlash(NotifyDriver.builder().build());
        KafkaBridge bridge = closeAfterTest(KafkaBridge.builder().producer(producerSettings())
                .route(KafkaRoute.table("refused")).build());

        assertThatThrownBy(() -> bridge.subscribe(flash)).isInstanceOf(PgFlashException.class)
                .hasMessageContaining("the notify driver does not")
                .hasMessageContaining("pgflash.driver=wal").hasMessageContaining("pgflash.trigger.mode=durable");
        assertThat(flash.subscriptions()).isEmpty();
    }

    @Test
    void aRecordTooLargeForKafkaGoesToTheDeadLetterTopicWithoutItsValueAndTheStreamGoesOn() {
        db.execute("CREATE TABLE documents (id int PRIMARY KEY, body text)");
        Map<String, Object> settings = new HashMap<>(producerSettings());
        settings.put("max.request.size", 2000);
        startPublishing(closeAfterTest(KafkaBridge.builder().producer(settings).route(KafkaRoute.table("documents"))
                .deadLetterTopic("documents-too-large").build()), driver("durable"));

        db.execute("INSERT INTO documents VALUES (1, repeat('x', 5000))", "INSERT INTO documents VALUES (2, 'small')");

        List<ConsumerRecord<byte[], byte[]>> published = readUntil(reader("pgflash.public.documents"),
                read -> !read.isEmpty());
        assertThat(published).extracting(record -> text(record.key())).containsExactly("{\"id\":2}");
        ConsumerRecord<byte[], byte[]> letter = readUntil(reader("documents-too-large"), read -> !read.isEmpty())
                .get(0);
        assertThat(text(letter.key())).isEqualTo("{\"id\":1}");
        assertThat(letter.value()).isNull();
        assertThat(header(letter, "pgflash-error")).contains("RecordTooLargeException");
        assertThat(header(letter, "pgflash-operation")).isEqualTo("INSERT");
    }

    @Test
    void withoutADeadLetterTopicARecordTooLargeHoldsTheStreamAndTheStatusSaysWhy() {
        db.execute("CREATE TABLE notes (id int PRIMARY KEY, body text)");
        Map<String, Object> settings = new HashMap<>(producerSettings());
        settings.put("max.request.size", 2000);
        KafkaBridge bridge = closeAfterTest(KafkaBridge.builder().producer(settings).route(KafkaRoute.table("notes"))
                .build());
        startPublishing(bridge, driver("durable"));

        db.execute("INSERT INTO notes VALUES (1, repeat('x', 5000))");

        await().until(() -> !bridge.status().up());
        assertThat(bridge.status().reason()).contains("notes").contains("RecordTooLargeException");
    }

    @Test
    void twoConsumersOfOneKafkaGroupShareThePartitions() {
        db.execute("CREATE TABLE shared (id int PRIMARY KEY)");
        startPublishing(bridgeOf(KafkaRoute.table("shared")), driver("wal"));
        db.execute("INSERT INTO shared VALUES (0)"); // makes the topic

        Map<String, Object> group = Map.of("bootstrap.servers", broker.getBrokersAsString(), "group.id", "readers",
                "auto.offset.reset", "earliest");
        KafkaConsumer<byte[], byte[]> first = closeAfterTest(new KafkaConsumer<>(group, new ByteArrayDeserializer(),
                new ByteArrayDeserializer()));
        KafkaConsumer<byte[], byte[]> second = closeAfterTest(new KafkaConsumer<>(group,
                new ByteArrayDeserializer(), new ByteArrayDeserializer()));
        first.subscribe(List.of("pgflash.public.shared"));
        second.subscribe(List.of("pgflash.public.shared"));
        Set<String> byFirst = new HashSet<>();
        Set<String> bySecond = new HashSet<>();
        await().atMost(Duration.ofMinutes(1)).until(() -> { // both joined: the group split the partitions
            first.poll(Duration.ofMillis(100)).forEach(record -> byFirst.add(text(record.key())));
            second.poll(Duration.ofMillis(100)).forEach(record -> bySecond.add(text(record.key())));
            return !first.assignment().isEmpty() && !second.assignment().isEmpty();
        });
        db.execute("INSERT INTO shared SELECT generate_series(1, 300)");
        await().atMost(Duration.ofMinutes(1)).until(() -> {
            first.poll(Duration.ofMillis(100)).forEach(record -> byFirst.add(text(record.key())));
            second.poll(Duration.ofMillis(100)).forEach(record -> bySecond.add(text(record.key())));
            return IntStream.rangeClosed(1, 300).mapToObj(id -> "{\"id\":" + id + "}")
                    .allMatch(key -> byFirst.contains(key) || bySecond.contains(key));
        });
        byFirst.remove("{\"id\":0}"); // may be read by both while the group formed
        bySecond.remove("{\"id\":0}");
        assertThat(byFirst).isNotEmpty().doesNotContainAnyElementsOf(bySecond);
        assertThat(bySecond).isNotEmpty();
        assertThat(first.assignment()).doesNotContainAnyElementsOf(second.assignment());
    }

    @Test
    void aStartedClientIsRefusedItHasBegunReplayingTheGroupsBacklog() {
        db.execute("CREATE TABLE late (id int PRIMARY KEY)");
        PgFlash flash = startFlash(driver("durable"));

        assertThatThrownBy(() -> bridgeOf(KafkaRoute.table("late")).subscribe(flash))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("before the client starts");
    }

    private KafkaBridge bridgeOf(KafkaRoute route) {
        return closeAfterTest(KafkaBridge.builder().producer(producerSettings()).route(route).build());
    }

    @Test
    void aTableWhoseDefaultTopicKafkaWouldRefuseNeedsATopicNamed() {
        assertThatThrownBy(() -> KafkaBridge.builder().producer(producerSettings())
                .route(KafkaRoute.table("posts").toTopic("my topic")).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'my topic'");
        // refused when built, not at the first change (where the stream would wait on it)
        assertThatThrownBy(() -> KafkaBridge.builder().producer(producerSettings())
                .route(KafkaRoute.table("\"My Table\"")).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'pgflash.public.My Table' as the default topic of table")
                .hasMessageContaining("name a topic for it");
    }
}
