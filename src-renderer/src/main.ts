import { createPinia } from 'pinia'
import { createApp } from 'vue'
import App from './App.vue'
import { useActivityStore } from './stores/activity'
import './styles.css'

const app = createApp(App)
const pinia = createPinia()
app.use(pinia)

// Nothing fails silently: render errors and stray rejections land in the error banner.
const activity = useActivityStore(pinia)
app.config.errorHandler = (err, _instance, info) => {
  activity.report('app', `Unexpected error (${info})`, err)
}
window.addEventListener('unhandledrejection', (e) => activity.report('app', 'Unhandled rejection', e.reason))
window.addEventListener('error', (e) => activity.report('app', 'Script error', e.error ?? e.message))

app.mount('#app')
