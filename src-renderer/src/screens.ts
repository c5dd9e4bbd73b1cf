// The screens of the app, in nav-rail order (Alt+1 is the first). To add a screen, add one
// row here and its component under src/screens/; nothing else needs to change.
import { markRaw, type Component } from 'vue'
import CompareScreen from './screens/CompareScreen.vue'
import GuestsScreen from './screens/GuestsScreen.vue'
import ProbeScreen from './screens/ProbeScreen.vue'
import ProfilesScreen from './screens/ProfilesScreen.vue'
import QueuesScreen from './screens/QueuesScreen.vue'
import RunsScreen from './screens/RunsScreen.vue'
import SessionsScreen from './screens/SessionsScreen.vue'

export interface ScreenDef {
  /** Stable id: the nav link is `data-testid="nav-<id>"`, the URL hash is `#<id>`. */
  id: string
  /** Nav-rail label. */
  label: string
  /** One line for the nav tooltip. */
  description: string
  component: Component
}

export const SCREENS = [
  {
    id: 'probe',
    label: 'Probe',
    description: 'One instruction, one configuration: what the guest sees and the path through the stack',
    component: markRaw(ProbeScreen),
  },
  {
    id: 'compare',
    label: 'Compare',
    description: 'Behaviour tables: sweep configurations, collapse to x, check hand-made rows, export',
    component: markRaw(CompareScreen),
  },
  {
    id: 'queues',
    label: 'Queue assignment',
    description: 'Adapters × domains: who owns each APQN, mdev assignment answered as the kernel answers it',
    component: markRaw(QueuesScreen),
  },
  {
    id: 'guests',
    label: 'Guests',
    description: 'Guest configuration and programs, run the session, per-guest results and traces',
    component: markRaw(GuestsScreen),
  },
  {
    id: 'profiles',
    label: 'Profiles',
    description: 'Kernel and QEMU profiles: dates, sources, behaviour switches',
    component: markRaw(ProfilesScreen),
  },
  {
    id: 'sessions',
    label: 'Sessions',
    description: 'Saved lab sessions and the built-in examples: new, open, save, import, export',
    component: markRaw(SessionsScreen),
  },
  {
    id: 'runs',
    label: 'Runs',
    description: 'Stored runs: results per guest with traces, re-run, compare two runs, export',
    component: markRaw(RunsScreen),
  },
] as const satisfies readonly ScreenDef[]

export type ScreenId = (typeof SCREENS)[number]['id']

export function findScreen(id: string | null): ScreenDef {
  return SCREENS.find((s) => s.id === id) ?? SCREENS[0]
}
