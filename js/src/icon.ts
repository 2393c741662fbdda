import { LabIcon } from '@jupyterlab/ui-components';

// A key in a shield, drawn with the theme's icon colour (jp-icon3) so it follows light and dark themes.
const svgstr = `<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">
<path class="jp-icon3" fill="#616161" d="M12 2 4 5v6c0 5 3.4 9.7 8 11 4.6-1.3 8-6 8-11V5l-8-3zm-1.5 6a2.5 2.5 0 0 1 2.4 3.2l3.1 3.1V16h-1.5v-1h-1v-1h-1l-1-1A2.5 2.5 0 1 1 10.5 8zm0 1.5a1 1 0 1 0 0 2 1 1 0 0 0 0-2z"/>
</svg>`;

export const hfsecureIcon = new LabIcon({ name: 'hfsecure-jupyter:shield', svgstr });
