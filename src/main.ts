/** Entry point: mounts the app and loads what the page shows first (run history, base checkpoint). */
import { mount } from 'svelte';
import './app.css';
import App from './App.svelte';
import { startApp } from './state/startup.ts';

startApp();

export default mount(App, { target: document.getElementById('app')! });
