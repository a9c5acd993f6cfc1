export { LoginPage } from './login-page.tsx';
export { FirstRunPage } from './first-run-page.tsx';
