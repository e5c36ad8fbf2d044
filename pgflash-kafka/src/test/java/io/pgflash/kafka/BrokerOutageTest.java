package io.pgflash.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pgflash.core.BackOff;
import io.pgflash.core.PgFlash;
import io.pgflash.core.driver.ChangeDriver;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import kafka.server.BrokerServer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import tools.jackson.databind.json.JsonMapper;

/**
 * The broker stopped in the middle of the stream: the bridge reports it down and confirms nothing past what the
 * broker acknowledged, and every committed row reaches Kafka once the broker is back, whether the application keeps
 * running or is stopped and started again meanwhile.
 */
class BrokerOutageTest extends KafkaTestSupport {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static int tables;

    @ParameterizedTest
    @ValueSource(strings = {"wal", "durable"})
    void publishingGoesOnByItselfWhenTheBrokerReturns(String driver) throws Exception {
        String table = table();
        KafkaBridge bridge = bridge(table);
        startPublishing(bridge, driver(driver));
        insert(table, 1, 100);
        KafkaConsumer<byte[], byte[]> reader = reader("pgflash.public." + table);
        Set<Integer> ids = new TreeSet<>();
        readIds(reader, ids, 100);

        BrokerServer server = stopBroker();
        insert(table, 101, 300);
        await().until(() -> !bridge.status().up());
        assertThat(bridge.status().reason()).contains("acknowledg");
        server.startup();

        readIds(reader, ids, 300);
        assertThat(ids).hasSize(300);
        await().until(() -> bridge.status().up());
    }

    @ParameterizedTest
    @ValueSource(strings = {"wal", "durable"})
    void anApplicationStoppedWhileTheBrokerIsAwayPublishesWhatWasNotAcknowledgedWhenStartedAgain(String driver)
            throws Exception {
        String table = table();
        String group = newGroup();
        ChangeDriver first = driverInGroup(driver, group, false); // keeps its slot when closed
        KafkaBridge bridge = bridge(table);
        PgFlash flash = PgFlash.builder().jdbcUrl(db.jdbcUrl(), db.user(), db.password()).driver(first)
                .shutdownTimeout(Duration.ofSeconds(1)).build();
        bridge.subscribe(flash);
        flash.start();
        insert(table, 1, 100);
        KafkaConsumer<byte[], byte[]> reader = reader("pgflash.public." + table);
        Set<Integer> ids = new TreeSet<>();
        readIds(reader, ids, 100);

        BrokerServer server = stopBroker();
        insert(table, 101, 300);
        await().until(() -> !bridge.status().up());
        flash.close(); // the listener still retries its batch: abandoned after the shutdown timeout
        bridge.close();
        server.startup();

        KafkaBridge second = bridge(table);
        startPublishing(second, driverInGroup(driver, group, true));
        readIds(reader, ids, 300);
        assertThat(ids).hasSize(300);
    }

    private static String table() {
        String table = "outage_" + (++tables);
        db.execute("CREATE TABLE " + table + " (id int PRIMARY KEY, title text)");
        return table;
    }

    /** Short producer timeouts, so sends fail during the outage and the batch is sent again. */
    private KafkaBridge bridge(String table) {
        Map<String, Object> settings = new HashMap<>(producerSettings());
        settings.put("max.block.ms", 1000);
        settings.put("request.timeout.ms", 1000);
        settings.put("delivery.timeout.ms", 2000);
        settings.put("reconnect.backoff.max.ms", 200);
        return closeAfterTest(KafkaBridge.builder().producer(settings).route(KafkaRoute.table(table))
                .backOff(BackOff.fixed(Duration.ofMillis(200))).ackTimeout(Duration.ofMillis(500)).build());
    }

    private static BrokerServer stopBroker() {
        BrokerServer server = broker.getCluster().brokers().get(0);
        server.shutdown(Duration.ofSeconds(5));
        server.awaitShutdown();
        return server;
    }

    /** Rows {@code from} to {@code to}, ten to a transaction. */
    private static void insert(String table, int from, int to) {
        for (int id = from; id <= to; id += 10) {
            db.execute("INSERT INTO " + table + " SELECT g, 'row ' || g FROM generate_series(" + id + ", "
                    + Math.min(id + 9, to) + ") g");
        }
    }

    private static void readIds(KafkaConsumer<byte[], byte[]> reader, Set<Integer> ids, int upTo) {
        List<ConsumerRecord<byte[], byte[]>> records = readUntil(reader, read -> {
            read.forEach(record -> ids.add(JSON.readTree(record.key()).get("id").asInt()));
            return ids.size() >= upTo;
        });
        assertThat(records).isNotEmpty();
    }
}
