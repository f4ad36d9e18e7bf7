/** Entry point: mounts the app and loads what the page shows first (run history, base checkpoint). */
import { mount } from 'svelte';
import './app.css';
import App from './App.svelte';
import { loadPlotly } from './lib/plot.ts';
import { startApp } from './state/startup.ts';

startApp();
// Plotly's chunk (~4.6 MB) takes a second or more to parse and compile, in one main-thread task:
// fetched now, at page load, so that task lands before any training, not inside a run.
void loadPlotly();

export default mount(App, { target: document.getElementById('app')! });
