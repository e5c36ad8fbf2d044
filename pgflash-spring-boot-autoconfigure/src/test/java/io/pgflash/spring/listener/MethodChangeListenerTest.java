package io.pgflash.spring.listener;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgflash.core.ChangeEvent;
import java.lang.reflect.Method;
import org.junit.jupiter.api.Test;
import org.springframework.core.convert.support.DefaultConversionService;

class MethodChangeListenerTest {

    static class Posts {
        void onPost(ChangeEvent event) {
        }
    }

    /** Its gap and snapshot log lines name it by the id health and metrics show, beside its method. */
    @Test
    void aListenerWithAnIdIsNamedByItAndByItsMethod() throws Exception {
        Method method = Posts.class.getDeclaredMethod("onPost", ChangeEvent.class);
        MethodChangeListener listener = MethodChangeListener.of(new Posts(), method,
                DefaultConversionService.getSharedInstance());

        assertThat(listener).hasToString(MethodChangeListener.describe(method));
        assertThat(listener.invokedThrough("published", ListenerInvocations.DIRECT).toString())
                .isEqualTo(MethodChangeListener.describe(method) + " (listener 'published')");
    }
}
