package io.pgflash.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** The examples of docs/listeners.md, run against a real server (DocumentationExamplesTest finds them here). */
class ListenersGuideTest extends FlashTestBase {

    @Test
    void filtersOnOrdinaryAndOddColumnNamesSelectTheSameRows() {
        db.execute("DROP TABLE IF EXISTS orders",
                "CREATE TABLE orders (id int PRIMARY KEY, status text, \"Total EUR\" numeric, \"a=b\" int)");
        PgFlash flash = startFlash();
        Recorder strings = new Recorder();
        Recorder conditions = new Recorder();

        // README-START
        SubscriptionSpec bigPaidOrders = SubscriptionSpec.table("orders")
                .filter("status=eq.paid", "Total EUR=gte.100", "\"a=b\"=not.is.null")
                .build();
        SubscriptionSpec sameInJava = SubscriptionSpec.table("orders")
                .where(Condition.eq("status", "paid"), Condition.gte("Total EUR", new BigDecimal("100")),
                        Condition.isNotNull("a=b"))
                .build();
        // README-END
        flash.subscribe(bigPaidOrders, strings);
        flash.subscribe(sameInJava, conditions);
        db.execute("INSERT INTO orders VALUES (1, 'paid', 99, 1), (2, 'open', 500, 1), (3, 'paid', 100, NULL)",
                "INSERT INTO orders VALUES (4, 'paid', 100, 1)");

        assertThat(strings.awaitEvents(1)).extracting(e -> e.newRow().get("id")).containsExactly(4);
        assertThat(conditions.awaitEvents(1)).extracting(e -> e.newRow().get("id")).containsExactly(4);
    }

    @Test
    void anEventThatKeepsFailingGoesToTheRecoverer() {
        db.execute("DROP TABLE IF EXISTS orders", "CREATE TABLE orders (id int PRIMARY KEY, status text)");
        PgFlash flash = startFlash();
        List<ChangeEvent> deadLetters = new CopyOnWriteArrayList<>();
        List<Object> handled = new CopyOnWriteArrayList<>();

        // README-START
        SubscriptionSpec orders = SubscriptionSpec.table("orders")
                .concurrency(4) // events of one key stay in order
                .errorPolicy(ErrorPolicy.retry(5, BackOff.exponential(Duration.ofMillis(100), Duration.ofSeconds(1)))
                        .thenRecover((event, error) -> deadLetters.add(event)))
                .build();
        // README-END
        flash.subscribe(orders, event -> {
            if ("broken".equals(event.newRow().get("status"))) {
                throw new IllegalStateException("cannot handle order " + event.key());
            }
            handled.add(event.newRow().get("id"));
        });
        db.execute("INSERT INTO orders VALUES (1, 'broken'), (2, 'paid')");

        await().untilAsserted(() -> {
            assertThat(deadLetters).extracting(e -> e.newRow().get("id")).containsExactly(1);
            assertThat(handled).containsExactly(2);
        });
    }
}
